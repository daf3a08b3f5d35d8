"""A service added as three new files appears in the catalogue with a page and a working
form on the portal, with no code change."""

from __future__ import annotations

import pytest
from django.test import Client

from seva.applications.models import Application
from seva.definitions.services import definitions_sync
from seva.portal.pages import portal_pages_sync
from tests.applications.test_new_service_from_files import FORM, root  # noqa: F401 - fixture

from .flow import sign_in, step_post, steps_of


@pytest.mark.django_db
def test_a_service_added_as_files_gets_a_page_and_a_working_form(root):  # noqa: F811
    definitions_sync(root=root)
    portal_pages_sync()
    catalogue = Client().get("/services/", {"q": "arms licence"}).content.decode()
    assert "Renewal of an arms licence" in catalogue
    page = Client().get("/revenue/arms-licence-renewal/")
    assert page.status_code == 200 and "10 working days" in page.content.decode()

    client = Client()
    sign_in(client)
    start = client.get("/apply/arms-licence-renewal/")
    draft_id = start["Location"].split("/")[3]
    (step,) = steps_of(FORM)
    form_page = client.get(start["Location"]).content.decode()
    assert 'name="licence_number"' in form_page and 'for="f-licence_number"' in form_page
    wrong = client.post(
        start["Location"], step_post(FORM, {**FORM["examples"][0], "licence_number": "20417"}, step)
    )
    assert wrong.status_code == 400 and 'href="#f-licence_number"' in wrong.content.decode()
    assert (
        client.post(start["Location"], step_post(FORM, FORM["examples"][0], step)).status_code
        == 302
    )
    sent = client.post(f"/apply/draft/{draft_id}/check/")
    reference = sent["Location"].split("/")[2]
    assert Application.objects.get(reference=reference).service.code == "arms-licence-renewal"
