"""The demo SMS box: every SMS Seva queued, sign-in codes included, for `make run`, where no
SMS leaves the machine. Open only with SEVA_DEMO_SMS_BOX and DEBUG on; production settings
refuse to start with the box on, and do not install this app."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from seva.notifications.models import Channel, OutboxMessage
from seva.portal.selectors import demo_sms_box_open


def demo_sms(*, mobile: str = "") -> list[OutboxMessage]:
    messages = OutboxMessage.objects.filter(channel=Channel.SMS).order_by("-created_at", "-id")
    if mobile:
        messages = messages.filter(recipient=mobile)
    return list(messages[:50])


def demo_sms_box(request: HttpRequest) -> HttpResponse:
    if not demo_sms_box_open():
        raise Http404("The demo SMS box is turned off.")
    mobile = request.GET.get("mobile", "").strip()
    return render(
        request,
        "demo/demo_sms.html",
        {"messages_sent": demo_sms(mobile=mobile), "mobile": mobile},
    )
