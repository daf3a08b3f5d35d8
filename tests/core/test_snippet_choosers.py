"""The snippet choosers list what they choose from (postings and officer contacts name every
officer): only people with a permission on the model may open them. A plain officer is
refused every Seva chooser, and no other admin listing shows them the staff's usernames."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from wagtail.log_actions import log
from wagtail.models import Page
from wagtail.snippets.models import get_snippet_models

from seva.core.snippets import SevaSnippetViewSet
from seva.org.models import OfficerProfile, Posting

# Staff usernames a plain officer of Ambala should never find listed in the admin.
OTHER_STAFF = ["dc.ambala", "patwari.hisar", "admin.revenue", "grievance.l4", "operator.ambala"]


def seva_snippet_models() -> list[type]:
    models = [m for m in get_snippet_models() if m.__module__.startswith("seva.")]
    assert {Posting, OfficerProfile} <= set(models)
    for model in models:
        assert isinstance(model.snippet_viewset, SevaSnippetViewSet), (
            f"{model.__name__}'s viewset must derive from seva.core.snippets.SevaSnippetViewSet"
        )
    return models


def chooser_urls(model) -> list[str]:
    namespace = model.snippet_viewset.get_chooser_admin_url_namespace()
    first = model.objects.order_by("pk").first()
    urls = [
        reverse(f"{namespace}:choose"),
        reverse(f"{namespace}:choose_results") + "?q=a",
        reverse(f"{namespace}:chosen_multiple") + (f"?id={first.pk}" if first else ""),
        reverse(f"{namespace}:create"),
    ]
    if first is not None:
        urls.append(reverse(f"{namespace}:chosen", args=[first.pk]))
    return urls


def refused(response) -> bool:
    """Wagtail's answer to a refused admin page: back to the dashboard, or 403 in a modal."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == "/admin/"
    )


def signed_in(user, username: str) -> Client:
    client = Client()
    client.force_login(user(username))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["tehsildar.ambala", "operator.ambala", "cmo"])
def test_a_workspace_user_without_model_permissions_is_refused_every_seva_chooser(user, username):
    client = signed_in(user, username)
    for model in seva_snippet_models():
        for url in chooser_urls(model):
            for headers in ({}, {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}):
                response = client.get(url, **headers)
                assert refused(response), (url, response.status_code)
                body = response.content.decode(errors="replace")
                assert not [name for name in OTHER_STAFF if name in body], url


@pytest.mark.django_db
def test_the_state_admin_chooses_as_before(user):
    client = signed_in(user, "admin")
    for model in seva_snippet_models():
        for url in chooser_urls(model):
            assert client.get(url).status_code == 200, url
    listed = client.get(reverse("wagtailsnippetchoosers_org_posting:choose")).content.decode()
    assert "dc.ambala" in listed


@pytest.mark.django_db
def test_any_permission_on_the_model_opens_its_chooser_and_no_other(user):
    group = Group.objects.create(name="Posting readers")
    group.permissions.add(Permission.objects.get(codename="view_posting"))
    reader = user("tehsildar.ambala")
    reader.groups.add(group)
    client = signed_in(user, "tehsildar.ambala")

    postings = client.get(reverse("wagtailsnippetchoosers_org_posting:choose"))
    assert postings.status_code == 200 and "dc.ambala" in postings.content.decode()
    assert refused(client.get(reverse("wagtailsnippetchoosers_org_officerprofile:choose")))


@pytest.mark.django_db
def test_no_other_admin_listing_shows_the_staffs_usernames_to_an_officer(user):
    """Wagtail's own listings a workspace user can reach: users and groups are refused; the
    page chooser, site history and the document and image choosers list nobody, even when
    pages are owned and locked by others and others' edits are in the log."""
    admin_revenue = user("admin.revenue")
    pages = Page.objects.filter(depth__gt=1)
    pages.update(owner=admin_revenue, locked=True, locked_by=admin_revenue)
    log(instance=pages.first(), action="wagtail.edit", user=user("dc.ambala"))
    log(instance=Posting.objects.first(), action="wagtail.edit", user=user("grievance.l4"))

    client = signed_in(user, "tehsildar.ambala")
    for url in [
        "/admin/users/",
        "/admin/groups/",
        "/admin/pages/",
        "/admin/reports/locked/",
        "/admin/reports/aging-pages/",
        "/admin/reports/site-history/",
        "/admin/choose-page/",
        f"/admin/choose-page/{pages.first().pk}/",
        "/admin/choose-page/search/?q=a",
        "/admin/documents/chooser/",
        "/admin/images/chooser/",
        "/admin/api/main/pages/?fields=*",
        "/admin/snippets/org/posting/",
        "/admin/snippets/org/officerprofile/",
        "/admin/snippets/channels/centreoperator/",
    ]:
        response = client.get(url)
        body = response.content.decode(errors="replace")
        assert not [name for name in OTHER_STAFF if name in body], url
