"""The SMS log in the Wagtail admin: search messages by reference, mobile, status and date,
read one as it was sent (template id, parts, attempts, the provider's reply) and resend a
failed one. For people with the outbox permissions (the state admin); sign-in codes are
masked."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .dlt import sms_cost
from .models import OutboxMessage, OutboxStatus
from .selectors import MessageFilters, message_body_for_staff, messages_find
from .services import outbox_resend

PAGE_SIZE = 50


class MessageFilterForm(forms.Form):
    q = forms.CharField(label="Reference, mobile or e-mail", required=False, max_length=254)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *OutboxStatus.choices]
    )
    sent_from = forms.DateField(
        label="From (date)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sent_to = forms.DateField(
        label="To (date)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filters(self) -> MessageFilters:
        if not self.is_valid():
            return MessageFilters()
        data = self.cleaned_data
        return MessageFilters(
            search=data["q"],
            status=data["status"],
            sent_from=data["sent_from"],
            sent_to=data["sent_to"],
        )


def _require(request: HttpRequest, codename: str) -> None:
    if not request.user.has_perm(f"notifications.{codename}"):
        raise PermissionDenied("Only the state admin reads the SMS log.")


def messages_view(request: HttpRequest) -> HttpResponse:
    _require(request, "view_outboxmessage")
    form = MessageFilterForm(request.GET or None)
    page = Paginator(messages_find(form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for message in rows:
        message.cost = sms_cost(message.body)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/messages.html",
        {"form": form, "page": page, "rows": rows, "filter_query": query.urlencode()},
    )


def message_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "view_outboxmessage")
    message = get_object_or_404(OutboxMessage.objects.select_related("application"), pk=pk)
    return render(
        request,
        "notifications/message.html",
        {
            "message": message,
            "body": message_body_for_staff(message),
            "cost": sms_cost(message.body),
            "can_resend": message.status == OutboxStatus.FAILED
            and request.user.has_perm("notifications.change_outboxmessage"),
        },
    )


@require_POST
def message_resend(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "change_outboxmessage")
    message = get_object_or_404(OutboxMessage, pk=pk)
    if message.status != OutboxStatus.FAILED:
        messages.error(request, "Only a failed message can be sent again.")
    else:
        outbox_resend(message=message)
        messages.success(request, "The message is queued to be sent again.")
    return redirect("notifications:message", pk=pk)
