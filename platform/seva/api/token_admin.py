"""API tokens in the Wagtail admin, for the state admin: every person's tokens that have not
expired, found by username or device, and revoked one at a time or all of a person's at once
(a lost phone, an officer transferred or suspected of sharing one). Held by the token
permissions (view to read, delete to revoke), which only the state admin has."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from .models import ApiToken
from .tokens import api_token_end, api_tokens_find, api_tokens_revoke_all

MAX_ROWS = 500

app_name = "api_tokens"


class TokenSearchForm(forms.Form):
    q = forms.CharField(label="Username or device", required=False, max_length=150)


def _require(request: HttpRequest, codename: str) -> None:
    if not request.user.has_perm(f"api.{codename}"):
        raise PermissionDenied("Only the state admin manages API tokens.")


def tokens_view(request: HttpRequest) -> HttpResponse:
    _require(request, "view_apitoken")
    form = TokenSearchForm(request.GET or None)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    tokens = list(api_tokens_find(search=search)[:MAX_ROWS])
    people = [(person, list(rows)) for person, rows in groupby(tokens, key=lambda t: t.user)]
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "people": people,
            "shown": len(tokens),
            "more": len(tokens) == MAX_ROWS,
            "can_revoke": request.user.has_perm("api.delete_apitoken"),
        },
    )


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    _require(request, "delete_apitoken")
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=token_id)
    api_token_end(token=token)
    messages.success(
        request, f"{token.user.get_username()}'s token {token.device or token.prefix} is revoked."
    )
    return redirect("api_tokens:list")


@require_POST
def person_revoke(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request, "delete_apitoken")
    person = get_object_or_404(get_user_model(), pk=user_id)
    count = api_tokens_revoke_all(user=person)
    messages.success(request, f"All {count} of {person.get_username()}'s tokens are revoked.")
    return redirect("api_tokens:list")


urlpatterns = [
    path("", tokens_view, name="list"),
    path("<int:token_id>/revoke/", token_revoke, name="revoke"),
    path("people/<int:user_id>/revoke/", person_revoke, name="revoke-person"),
]
