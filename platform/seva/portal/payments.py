"""The citizen's payment pages: paying a fee online or by e-challan, the gateway's return and
callback, receipts. Every page about an application starts from the citizen's own
(`selectors.own_application`); the callback answers only to a verified checksum, and what
it says is believed only once the gateway confirms it server to server
(`payments.services.payment_settle`)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from seva.applications.models import FeeDue
from seva.applications.selectors import fee_due_get
from seva.core.errors import NotFound, SevaError, ValidationFailed
from seva.payments.gateways import gateway, gateway_names
from seva.payments.models import Payment
from seva.payments.receipts import challan_pdf, receipt_pdf
from seva.payments.selectors import payment_of_application
from seva.payments.services import (
    callback_receive,
    challan_create,
    payment_settle,
    payment_start,
)

from . import selectors

ONLINE = "online"
CHALLAN = "challan"


def payment_options() -> dict[str, bool]:
    """Which ways of paying this installation offers besides the counter."""
    names = gateway_names()
    return {"online": ONLINE in names, "challan": CHALLAN in names}


def allow_paying_from(response: HttpResponse, fees) -> HttpResponse:
    """A page with a "Pay online" form posts to Seva, which redirects to the gateway: the
    browser applies the page's `form-action` to that redirect too, so the gateway's origin is
    allowed on pages that offer the form, and nowhere else."""
    if ONLINE in gateway_names() and any(fee.payable for fee in fees):
        base = urlsplit(gateway(ONLINE).base_url)
        response._csp_update = {"form-action": [f"{base.scheme}://{base.netloc}"]}  # type: ignore[attr-defined]
    return response


def _own(request: HttpRequest, reference: str):
    try:
        return selectors.own_application(user=request.user, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _own_fee(request: HttpRequest, reference: str, code: str) -> FeeDue:
    application = _own(request, reference)
    try:
        return fee_due_get(application=application, code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_POST
def fee_pay(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    """Send the citizen to the gateway's page with an order for the fee's amount, the
    server's own (nothing posted here says how much)."""
    fee = _own_fee(request, reference, code)
    try:
        _payment, url = payment_start(
            fee=fee,
            user=request.user,
            return_url=request.build_absolute_uri(reverse("portal:payment-return", args=[ONLINE])),
            callback_url=request.build_absolute_uri(
                reverse("portal:payment-callback", args=[ONLINE])
            ),
        )
    except SevaError as exc:
        messages.error(request, exc.message)
        return redirect("portal:my-application", reference=reference)
    return redirect(url)


@login_required
@require_POST
def fee_challan(request: HttpRequest, reference: str, code: str) -> HttpResponse:
    fee = _own_fee(request, reference, code)
    try:
        payment = challan_create(fee=fee, user=request.user)
    except SevaError as exc:
        messages.error(request, exc.message)
        return redirect("portal:my-application", reference=reference)
    return redirect("portal:payment-challan", reference=reference, order_id=payment.order_id)


@login_required
@require_GET
def payment_challan(request: HttpRequest, reference: str, order_id: str) -> HttpResponse:
    application = _own(request, reference)
    try:
        payment = payment_of_application(application=application, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if payment.method != Payment.Method.CHALLAN:
        raise Http404(_("No such challan."))
    return _pdf(challan_pdf(payment), f"challan-{payment.order_id}.pdf")


@login_required
@require_GET
def payment_receipt(request: HttpRequest, reference: str, order_id: str) -> HttpResponse:
    application = _own(request, reference)
    try:
        payment = payment_of_application(application=application, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if not payment.receipt_number:
        raise Http404(_("No money has been received on this payment yet."))
    return _pdf(receipt_pdf(payment), f"receipt-{payment.receipt_number}.pdf")


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def payment_return(request: HttpRequest, gateway_name: str) -> HttpResponse:
    """Where the gateway sends the browser back. The payment is settled from a status query,
    never from what the browser carries; then the citizen sees their application, and nobody
    else learns anything."""
    if gateway_name != ONLINE:
        raise Http404()
    order_id = request.GET.get("order_id", "")[:40]
    payment = (
        Payment.objects.select_related("application")
        .filter(order_id=order_id, method=Payment.Method.ONLINE)
        .first()
    )
    own = (
        payment is not None
        and request.user.is_authenticated
        and payment.application.applicant_id == request.user.pk
    )
    signed = {k: request.GET.get(k, "") for k in ("order_id", "status", "checksum")}
    # Only the payer, or a return the gateway signed, makes Seva ask the gateway: a stranger
    # cannot make it query at will, and learns nothing (an unknown order looks the same).
    if payment is not None and (own or gateway(gateway_name).verify(signed)):
        payment = payment_settle(order_id=order_id, source="return").payment
    if payment is None or not own:
        return redirect("portal:my-applications")
    reference = payment.application.reference
    if payment.status == Payment.Status.SUCCESS:
        messages.success(
            request,
            _("Payment received. Receipt %(receipt)s.") % {"receipt": payment.receipt_number},
        )
        return redirect("portal:acknowledgement", reference=reference)
    if payment.status in (Payment.Status.FAILURE, Payment.Status.CANCELLED):
        messages.error(
            request, _("The payment did not go through, and nothing was charged. Try again.")
        )
    elif payment.status in (Payment.Status.DUPLICATE, Payment.Status.UNAPPLIED):
        messages.warning(
            request, _("The fee did not need this payment: it will be refunded to you in full.")
        )
    elif payment.status == Payment.Status.HELD:
        messages.warning(
            request,
            _(
                "Your payment was received but its amount differs; the accounts office will check it."
            ),
        )
    else:
        messages.info(
            request,
            _(
                "The bank has not confirmed the payment yet. This page will show it as soon as "
                "it does: nothing more to do."
            ),
        )
    return redirect("portal:my-application", reference=reference)


@csrf_exempt  # a server-to-server call, authenticated by its checksum instead
@require_POST
def payment_callback(request: HttpRequest, gateway_name: str) -> HttpResponse:
    if gateway_name != ONLINE:
        raise Http404()
    try:
        callback_receive(gateway_name=gateway_name, params=request.POST.dict())
    except ValidationFailed:
        return HttpResponse("checksum", status=400, content_type="text/plain")
    except NotFound:
        return HttpResponse("unknown order", status=404, content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")
