"""The accounts officer's pages in the staff workspace: the exceptions of reconciliation,
resolved with remarks; payments held because the gateway's amount differed, accepted or
refunded; refunds the office owes (cash, UPI, challans), marked paid; and, for the state's
treasury cell, the settlement files imported and a form to upload one.

Thin: every row is found through the accounts officer's scope (`payments.selectors`), so a
row of another district or department answers 404 like one that does not exist; every
change goes through a service of `seva.payments`. Anybody who is not an accounts officer is
turned away (403)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.core.money import rupees
from seva.payments.gateways import GatewayError, SettlementFileError, gateway, gateway_names
from seva.payments.models import Payment, ReconciliationItem, Refund, Settlement
from seva.payments.reconciliation import reconciliation_item_resolve, settlement_upload
from seva.payments.selectors import (
    held_payments_for,
    is_accounts_officer,
    keeps_state_accounts,
    open_reconciliation_items_for,
    payments_visible_to,
    reconciliation_items_visible_to,
    refunds_owed_by_office_for,
    refunds_visible_to,
    settlements_with_counts_for,
)
from seva.payments.services import HELD_DECISIONS, payment_held_resolve, refund_mark_paid

PAGE_SIZE = 50

KIND_LABELS = {
    ReconciliationItem.Kind.MISSING_IN_SEVA: gettext_lazy("In the file, not in Seva"),
    ReconciliationItem.Kind.MISSING_AT_GATEWAY: gettext_lazy("Paid in Seva, not in the file"),
    ReconciliationItem.Kind.AMOUNT_DIFFERS: gettext_lazy("Amount differs"),
    ReconciliationItem.Kind.STATUS_DIFFERS: gettext_lazy("Status differs"),
}
DECISION_LABELS = {
    "accept": gettext_lazy("Accept: credit the fee (any excess is refunded)"),
    "refund": gettext_lazy("Refund all that was received"),
}
SOURCE_LABELS = {
    Settlement.Source.FETCHED: gettext_lazy("Fetched by the daily job"),
    Settlement.Source.UPLOADED: gettext_lazy("Uploaded"),
}


def _accounts_officer(request: HttpRequest) -> None:
    if not is_accounts_officer(request.user):
        raise PermissionDenied(_("These pages are for accounts officers."))


def _state_accounts(request: HttpRequest) -> None:
    _accounts_officer(request)
    if not keeps_state_accounts(request.user):
        raise PermissionDenied(_("Settlement files are kept by the state's treasury cell."))


def _gateway_label(name: str) -> str:
    try:
        return gateway(name).display_name(get_language() or "en")
    except GatewayError:
        return name


def _money(paise: int | None) -> str:
    return "" if paise is None else _("₹%(amount)s") % {"amount": rupees(paise)}


def _page(request: HttpRequest, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


# ------------------------------------------------------------------------------
# Exceptions
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExceptionRow:
    pk: int
    kind: str
    kind_label: str
    gateway: str
    day: object
    reference: str
    txn_id: str
    application: str
    service: str
    seva_amount: str
    reported_amount: str
    found_at: object
    resolved_at: object
    resolved_by: str
    remarks: str


def _exception_row(item: ReconciliationItem) -> ExceptionRow:
    payment = item.payment
    return ExceptionRow(
        pk=item.pk,
        kind=item.kind,
        kind_label=str(KIND_LABELS.get(item.kind, item.kind)),
        gateway=_gateway_label(item.settlement.gateway),
        day=item.settlement.day,
        reference=item.reference,
        txn_id=item.txn_id,
        application=payment.application.reference if payment else "",
        service=payment.service.code if payment else "",
        seva_amount=_money(item.seva_paise),
        reported_amount=_money(item.reported_paise),
        found_at=item.found_at,
        resolved_at=item.resolved_at,
        resolved_by=item.resolved_by.get_username() if item.resolved_by else "",
        remarks=item.remarks,
    )


def exceptions_view(
    request: HttpRequest, *, errors: dict | None = None, failed: int | None = None, status=200
) -> HttpResponse:
    _accounts_officer(request)
    resolved = request.GET.get("show") == "resolved"
    if resolved:
        items = (
            reconciliation_items_visible_to(request.user)
            .filter(resolved_at__isnull=False)
            .select_related("settlement", "payment__application", "payment__service")
            .select_related("resolved_by")
            .order_by("-resolved_at", "-pk")
        )
    else:
        items = open_reconciliation_items_for(request.user)
    page = _page(request, items)
    return render(
        request,
        "dashboards/accounts/exceptions.html",
        {
            "page": page,
            "rows": [_exception_row(item) for item in page.object_list],
            "resolved": resolved,
            "state_accounts": keeps_state_accounts(request.user),
            "errors": errors or {},
            "failed": failed,
            "posted_remarks": request.POST.get("remarks", "") if failed else "",
        },
        status=status,
    )


@require_POST
def exception_resolve_view(request: HttpRequest, pk: int) -> HttpResponse:
    _accounts_officer(request)
    item = reconciliation_items_visible_to(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("No such exception that you can see."))
    try:
        reconciliation_item_resolve(
            item=item, remarks=request.POST.get("remarks", ""), by=request.user
        )
    except ValidationFailed as exc:
        messages.error(request, _("The exception was not resolved: correct the fields marked."))
        return exceptions_view(request, errors=exc.errors, failed=item.pk, status=400)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("accounts_office:exceptions")
    messages.success(request, _("%(reference)s: resolved.") % {"reference": item.reference})
    return redirect("accounts_office:exceptions")


# ------------------------------------------------------------------------------
# Payments held for review
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HeldRow:
    order_id: str
    gateway: str
    method: str
    application: str
    service: str
    fee_amount: str
    received_amount: str
    txn_id: str
    settled_at: object


def _held_row(payment: Payment) -> HeldRow:
    return HeldRow(
        order_id=payment.order_id,
        gateway=_gateway_label(payment.gateway),
        method=payment.get_method_display(),
        application=payment.application.reference,
        service=payment.service.code,
        fee_amount=_money(payment.amount_paise),
        received_amount=_money(payment.reported_paise),
        txn_id=payment.txn_id,
        settled_at=payment.settled_at,
    )


def held_view(
    request: HttpRequest, *, errors: dict | None = None, failed: str = "", status=200
) -> HttpResponse:
    _accounts_officer(request)
    page = _page(request, held_payments_for(request.user))
    return render(
        request,
        "dashboards/accounts/held.html",
        {
            "page": page,
            "rows": [_held_row(payment) for payment in page.object_list],
            "decisions": [(code, DECISION_LABELS[code]) for code in HELD_DECISIONS],
            "state_accounts": keeps_state_accounts(request.user),
            "errors": errors or {},
            "failed": failed,
            "posted_remarks": request.POST.get("remarks", "") if failed else "",
            "posted_decision": request.POST.get("decision", "") if failed else "",
        },
        status=status,
    )


@require_POST
def held_resolve_view(request: HttpRequest, order_id: str) -> HttpResponse:
    _accounts_officer(request)
    payment = payments_visible_to(request.user).filter(order_id=order_id).first()
    if payment is None:
        raise Http404(_("No such payment that you can see."))
    decision = request.POST.get("decision", "")
    try:
        payment_held_resolve(
            payment=payment,
            decision=decision,
            remarks=request.POST.get("remarks", ""),
            by=request.user,
        )
    except ValidationFailed as exc:
        messages.error(request, _("Nothing was decided: correct the fields marked."))
        return held_view(request, errors=exc.errors, failed=payment.order_id, status=400)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("accounts_office:held")
    if decision == "accept":
        done = _("%(order)s: accepted; the fee is credited.")
    else:
        done = _("%(order)s: to be refunded.")
    messages.success(request, done % {"order": payment.order_id})
    return redirect("accounts_office:held")


# ------------------------------------------------------------------------------
# Refunds the office owes
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RefundRow:
    refund_id: str
    order_id: str
    method: str
    application: str
    service: str
    amount: str
    reason: str
    created_at: object


def _refund_row(refund: Refund) -> RefundRow:
    payment = refund.payment
    return RefundRow(
        refund_id=refund.refund_id,
        order_id=payment.order_id,
        method=payment.get_method_display(),
        application=payment.application.reference,
        service=payment.service.code,
        amount=_money(refund.amount_paise),
        reason=refund.reason,
        created_at=refund.created_at,
    )


def refunds_view(
    request: HttpRequest, *, errors: dict | None = None, failed: str = "", status=200
) -> HttpResponse:
    _accounts_officer(request)
    page = _page(request, refunds_owed_by_office_for(request.user))
    return render(
        request,
        "dashboards/accounts/refunds.html",
        {
            "page": page,
            "rows": [_refund_row(refund) for refund in page.object_list],
            "state_accounts": keeps_state_accounts(request.user),
            "errors": errors or {},
            "failed": failed,
            "posted_remarks": request.POST.get("remarks", "") if failed else "",
        },
        status=status,
    )


@require_POST
def refund_paid_view(request: HttpRequest, refund_id: str) -> HttpResponse:
    _accounts_officer(request)
    refund = refunds_visible_to(request.user).filter(refund_id=refund_id).first()
    if refund is None:
        raise Http404(_("No such refund that you can see."))
    try:
        refund_mark_paid(refund=refund, by=request.user, remarks=request.POST.get("remarks", ""))
    except ValidationFailed as exc:
        messages.error(request, _("The refund was not marked paid: correct the fields marked."))
        return refunds_view(request, errors=exc.errors, failed=refund.refund_id, status=400)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("accounts_office:refunds")
    messages.success(request, _("%(refund)s: marked paid.") % {"refund": refund.refund_id})
    return redirect("accounts_office:refunds")


# ------------------------------------------------------------------------------
# Settlement files (the state's treasury cell)
# ------------------------------------------------------------------------------
def settlements_view(request: HttpRequest) -> HttpResponse:
    _state_accounts(request)
    page = _page(request, settlements_with_counts_for(request.user))
    rows = list(page.object_list)
    for settlement in rows:
        settlement.gateway_label = _gateway_label(settlement.gateway)
        settlement.source_label = SOURCE_LABELS.get(settlement.source, settlement.source)
    return render(request, "dashboards/accounts/settlements.html", {"page": page, "rows": rows})


class SettlementUploadForm(forms.Form):
    gateway = forms.ChoiceField(label=gettext_lazy("Gateway or bank"))
    day = forms.DateField(
        label=gettext_lazy("Day of the file"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    file = forms.FileField(
        label=gettext_lazy("Settlement file (CSV)"),
        help_text=gettext_lazy(
            "The file as the gateway or bank sent it: UTF-8 CSV, the first line naming the columns."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = [(name, _gateway_label(name)) for name in gateway_names()]

    def mark_errors(self) -> None:
        """Each field with an error says so to assistive technology, naming its message."""
        for name, field in self.fields.items():
            if name in self.errors:
                field.widget.attrs["aria-invalid"] = "true"
                field.widget.attrs["aria-describedby"] = f"id_{name}-error"

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A settlement file is for a day that is over."))
        return day


@require_http_methods(["GET", "POST"])
def settlement_upload_view(request: HttpRequest) -> HttpResponse:
    _state_accounts(request)
    form = SettlementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            settlement = settlement_upload(
                gateway_name=form.cleaned_data["gateway"],
                day=form.cleaned_data["day"],
                content=upload.read(),
                filename=upload.name,
                by=request.user,
            )
        except SettlementFileError as exc:
            form.add_error("file", exc.message)
        except GatewayError as exc:
            form.add_error(None, exc.message)
        except ValidationFailed as exc:
            for field, problems in exc.errors.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            if settlement.already_imported:
                messages.warning(
                    request,
                    _("This file was imported already on %(when)s: nothing was counted again.")
                    % {
                        "when": timezone.localtime(settlement.imported_at).strftime(
                            "%d-%m-%Y %H:%M"
                        )
                    },
                )
            else:
                messages.success(
                    request,
                    _(
                        "Imported %(lines)s lines: %(matched)s matched, %(exceptions)s "
                        "exceptions to resolve."
                    )
                    % {
                        "lines": settlement.lines,
                        "matched": settlement.matched,
                        "exceptions": settlement.items.count(),
                    },
                )
            return redirect("accounts_office:settlements")
    form.mark_errors()
    return render(
        request,
        "dashboards/accounts/upload.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
