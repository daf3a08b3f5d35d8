"""The channels in the staff workspace. The service-centre counter: the citizen's consent by the code sent
to their mobile, the service, the form filled step by step on their behalf (drawn and read by
seva.formschemas.drawing and seva.formschemas.parsing exactly as the portal's), the fee, the
filing, the printable acknowledgement, and the applications filed at the operator's centre.

Every view starts from the operator's centre (`centre_of_operator`, 403 for anybody who
does not work a counter); drafts and filings are read through selectors scoped to it, so a
reference or draft from another centre answers 404.

The helpline: a grievance registered from a call on one page (the grievance's own form,
drawn by the same renderer), and status queries by the caller's mobile, with or without a
reference. Only active helpline agents reach them."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from seva.accounts.ratelimit import hit
from seva.applications.documents import step_uploads_store, uploads_too_large
from seva.applications.errors import DraftAlreadySent
from seva.citizens.services import SignInRefused
from seva.core.errors import ActionNotAllowed, Conflict, NotFound, ValidationFailed
from seva.definitions.selectors import FeeUnknown, form_schema_for, service_get
from seva.formschemas import wizard
from seva.formschemas.answers import answers as answer_pages
from seva.formschemas.answers import error_summary
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.drawing import render_fields
from seva.formschemas.parsing import apply_row_commands, document_field, parse_submission
from seva.formschemas.steps import form_declaration, form_steps, form_title
from seva.payments.receipts import receipt_pdf
from seva.payments.selectors import fee_rows
from seva.payments.services import payment_record_at_counter

from . import selectors, services
from .forms import (
    CitizenMobileForm,
    ConsentCodeForm,
    CounterFeeForm,
    CounterFeeLookupForm,
    FeeForm,
    HelplineCallForm,
    ServiceChoiceForm,
    StatusQueryForm,
)
from .models import AssistedDraft, ServiceCentre

LANGUAGE = selectors.LANGUAGE
FILED_PAGE_SIZE = 50
CALLS_PAGE_SIZE = 20
# Codes one operator may send in an hour, across citizens: a busy counter sends many, a
# script sends far more. Each number's own limits (citizens.services) apply as well.
CODES_PER_OPERATOR_PER_HOUR = 60


def _centre(request: HttpRequest) -> ServiceCentre:
    try:
        return selectors.centre_of_operator(request.user)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _with_draft(*, ready: bool = False):
    """A view of one of the operator's filings in progress, called with the draft: 404 if it
    is not at their counter; the acknowledgement if it was filed already (a second press of
    "File" arriving after the first was done). With `ready`, only once the citizen consented
    and a service is chosen; else the page where the draft continues."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, draft_id, **kwargs) -> HttpResponse:
            _centre(request)
            try:
                draft = selectors.assisted_draft_get(operator=request.user, draft_id=draft_id)
            except DraftAlreadySent as exc:
                messages.info(request, exc.message)
                return redirect("channels:acknowledgement", reference=exc.reference)
            except NotFound as exc:
                raise Http404(exc.message) from exc
            if ready and (not draft.has_consent or draft.service_version is None):
                return redirect(_next_page(draft))
            return view(request, draft, **kwargs)

        return wrapped

    return decorate


def _next_page(draft: AssistedDraft) -> str:
    """Where a draft continues: consent (to its service), then the form."""
    if not draft.has_consent:
        return reverse("channels:consent", args=[draft.id])
    if draft.service_version is None:
        return reverse("channels:service", args=[draft.id])
    step = form_steps(draft.service_version.form_schema, LANGUAGE)[0]
    return reverse("channels:step", args=[draft.id, step.id])


def _form_errors_from(form, exc: ValidationFailed) -> dict[str, list[str]]:
    """Put the service's errors on the form's own fields; return the rest."""
    rest = {}
    for key, messages_ in exc.errors.items():
        if key in form.fields:
            for message in messages_:
                form.add_error(key, message)
        else:
            rest[key] = messages_
    return rest


# ------------------------------------------------------------------------------
# The citizen: mobile and consent
# ------------------------------------------------------------------------------
def start_view(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    form = CitizenMobileForm(request.POST or None, service_choices=selectors.service_choices())
    if request.method == "POST" and form.is_valid():
        if hit(
            f"rl:assisted-code:{request.user.pk}",
            limit=CODES_PER_OPERATOR_PER_HOUR,
            per_seconds=3600,
        ):
            form.add_error("mobile", "Too many codes sent from your counter this hour. Try later.")
        else:
            try:
                draft = services.consent_code_send(
                    operator=request.user,
                    mobile=form.cleaned_data["mobile"],
                    service=service_get(code=form.cleaned_data["service"]),
                    language=form.cleaned_data["language"],
                )
            except NotFound:
                form.add_error("service", "Choose a service from the list.")
            except SignInRefused as exc:
                form.add_error("mobile", exc.message)
            except ValidationFailed as exc:
                _form_errors_from(form, exc)
            else:
                return redirect("channels:consent", draft_id=draft.id)
    return render(
        request,
        "channels/start.html",
        {
            "centre": centre,
            "form": form,
            "drafts": [
                {
                    "draft": d,
                    "mobile": selectors.masked_mobile(d.mobile),
                    "service_name": selectors.service_name(d.service_version),
                    "url": _next_page(d),
                }
                for d in selectors.assisted_drafts_in_progress(operator=request.user)
            ],
        },
        status=400 if form.errors else 200,
    )


@_with_draft()
def consent_view(request: HttpRequest, draft: AssistedDraft) -> HttpResponse:
    if draft.has_consent:
        return redirect(_next_page(draft))
    if request.method == "POST" and "resend" in request.POST:
        try:
            services.consent_code_resend(draft=draft)
        except (SignInRefused, ActionNotAllowed) as exc:
            messages.error(request, exc.message)
        except ValidationFailed as exc:
            messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
        else:
            messages.success(request, "A new code was sent to the citizen's mobile.")
        return redirect("channels:consent", draft_id=draft.id)
    form = ConsentCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_verify(draft=draft, code=form.cleaned_data["code"])
        except SignInRefused as exc:
            form.add_error("code", exc.message)
        except ValidationFailed as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, "The citizen confirmed with their code.")
            return redirect(_next_page(draft))
    return render(
        request,
        "channels/consent.html",
        {"draft": draft, "form": form, "citizen": _citizen(draft)},
        status=400 if form.errors else 200,
    )


# ------------------------------------------------------------------------------
# The service and its form
# ------------------------------------------------------------------------------
@_with_draft()
def service_view(request: HttpRequest, draft: AssistedDraft) -> HttpResponse:
    """Another service than the one the citizen consented to: a new code names it."""
    if not draft.has_consent:
        return redirect("channels:consent", draft_id=draft.id)
    form = ServiceChoiceForm(
        request.POST or None,
        choices=selectors.service_choices(),
        initial={"service": draft.service.code if draft.service else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            service = service_get(code=form.cleaned_data["service"])
            draft = services.assisted_service_choose(draft=draft, service=service)
        except NotFound:
            form.add_error("service", "Choose a service from the list.")
        except SignInRefused as exc:
            form.add_error("service", exc.message)
        except ValidationFailed as exc:
            _form_errors_from(form, exc)
        else:
            if not draft.has_consent:
                messages.info(
                    request,
                    "The citizen consented to another service: a new code naming this one "
                    "was sent to their mobile.",
                )
            return redirect(_next_page(draft))
    return render(
        request,
        "channels/service.html",
        {"draft": draft, "form": form, "citizen": _citizen(draft)},
        status=400 if form.errors else 200,
    )


def _citizen(draft: AssistedDraft) -> dict:
    return {
        "mobile": selectors.masked_mobile(draft.mobile),
        "consent_verified_at": draft.consent_verified_at,
        "service": selectors.service_name(draft.service_version),
    }


@_with_draft(ready=True)
def step_view(request: HttpRequest, draft: AssistedDraft, step_id: str) -> HttpResponse:
    schema = form_schema_for(draft.service_version)
    steps = form_steps(schema, LANGUAGE)
    step = wizard.step_named(steps, step_id)
    if step is None:
        raise Http404("No such step")
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        uploaded, upload_errors = step_uploads_store(
            owner=request.user,
            schema=schema,
            fields=step.fields,
            files=request.FILES,
            too_large=uploads_too_large(request),
            too_large_message="The file is larger than the largest allowed. Scan it smaller.",
        )
        data, row_command = wizard.step_answers(
            schema, request.POST, fields=step.fields, saved=draft.data, uploaded=uploaded
        )
        services.assisted_draft_save(draft=draft, data=data)
        if row_command:
            return redirect(f"{request.path}#main")
        errors = wizard.step_errors(services.assisted_draft_errors(draft=draft, data=data), step)
        errors.update(upload_errors)
        if not errors:
            following = wizard.step_after(steps, step)
            if following:
                return redirect("channels:step", draft_id=draft.id, step_id=following.id)
            return redirect("channels:check", draft_id=draft.id)
        status = 400
    page = wizard.step_page(
        schema=schema,
        steps=steps,
        step=step,
        data=draft.data,
        errors=errors,
        language=LANGUAGE,
        documents=selectors.draft_document_names(draft=draft),
    )
    return render(
        request,
        "channels/step.html",
        {"draft": draft, "citizen": _citizen(draft), **page},
        status=status,
    )


# ------------------------------------------------------------------------------
# Check, fee and filing
# ------------------------------------------------------------------------------
@_with_draft(ready=True)
def check_view(request: HttpRequest, draft: AssistedDraft) -> HttpResponse:
    schema = form_schema_for(draft.service_version)
    steps = form_steps(schema, LANGUAGE)
    errors = services.assisted_draft_errors(draft=draft)
    try:
        fee_due, fee_unknown = selectors.fee_due(draft), ""
    except FeeUnknown as exc:  # the fee depends on answers not given yet
        fee_due, fee_unknown = None, str(exc.message)
    form = FeeForm(
        request.POST or None,
        initial={"fee_amount": fee_due, "fee_method": "cash", "language": draft.language},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and not errors:
            try:
                filing = services.assisted_filing_submit(
                    draft=draft,
                    fee_amount=form.cleaned_data["fee_amount"],
                    fee_receipt_number=form.cleaned_data["fee_receipt_number"],
                    fee_method=form.cleaned_data.get("fee_method") or "cash",
                    language=form.cleaned_data["language"],
                )
            except ValidationFailed as exc:
                rest = _form_errors_from(form, exc)
                errors = {k.removeprefix("data."): v for k, v in rest.items()}
            except DraftAlreadySent as exc:  # "File" pressed twice: the first one filed it
                messages.info(request, exc.message)
                return redirect("channels:acknowledgement", reference=exc.reference)
            except (ActionNotAllowed, Conflict, NotFound) as exc:
                messages.error(request, exc.message)
                return redirect("channels:start")
            else:
                messages.success(
                    request, f"Filed as {filing.application.reference}. Print the acknowledgement."
                )
                return redirect("channels:acknowledgement", reference=filing.application.reference)
    summary = error_summary(schema, errors, language=LANGUAGE)
    step_of = {name: step.id for step in steps for name in step.fields}
    for item in summary:
        step_id = step_of.get(item["path"].split(".")[0], steps[0].id)
        item["href"] = reverse("channels:step", args=[draft.id, step_id])
    summary += [
        {"label": form[name].label, "message": message, "anchor": form[name].auto_id, "href": ""}
        for name, messages_ in form.errors.items()
        if name in form.fields
        for message in messages_
    ]
    return render(
        request,
        "channels/check.html",
        {
            "draft": draft,
            "citizen": _citizen(draft),
            "title": form_title(schema, LANGUAGE),
            "answers": answer_pages(
                schema,
                prune_hidden(schema, draft.data),
                language=LANGUAGE,
                documents=selectors.draft_document_names(draft=draft),
            ),
            "declaration": form_declaration(schema, LANGUAGE),
            "error_summary": summary,
            "form": form,
            "fee_due": fee_due,
            "fee_unknown": fee_unknown,
            "fee_depends_on_answers": selectors.fee_depends_on_answers(draft),
            "fee_note": selectors.fee_note(draft),
        },
        status=status,
    )


@require_POST
@_with_draft()
def discard_view(request: HttpRequest, draft: AssistedDraft) -> HttpResponse:
    services.assisted_draft_discard(draft=draft)
    messages.success(request, "The filing in progress was deleted.")
    return redirect("channels:start")


# ------------------------------------------------------------------------------
# After filing: the acknowledgement, and the centre's list
# ------------------------------------------------------------------------------
def acknowledgement_view(request: HttpRequest, reference: str) -> HttpResponse:
    _centre(request)
    try:
        filing = selectors.filing_at_centre_of(operator=request.user, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "channels/acknowledgement.html",
        {
            "ack": selectors.acknowledgement_for(filing),
            "issued": selectors.counter_documents(filing),
        },
    )


def issued_file_view(
    request: HttpRequest, reference: str, public_id: str, language: str
) -> FileResponse:
    """A signed PDF of a document issued on an application filed at the operator's centre,
    to print for the citizen."""
    _centre(request)
    try:
        found = selectors.counter_document_file(
            operator=request.user, reference=reference, public_id=public_id, language=language
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        found.file.open("rb"),
        content_type="application/pdf",
        filename=f"{found.document.number.replace('/', '-')}-{found.language}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def filed_view(request: HttpRequest) -> HttpResponse:
    centre = _centre(request)
    filings = selectors.filings_listed_at_centre_of(operator=request.user)
    # A page past the last is the last page: the list grows while an operator reads it.
    page = Paginator(filings, FILED_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "channels/filed.html",
        {
            "centre": centre,
            "page": page,
            "rows": selectors.filed_rows(page.object_list),
            "total": page.paginator.count,
        },
    )


# ------------------------------------------------------------------------------
# A fee for an application filed already (online, at another counter, on the helpline)
# ------------------------------------------------------------------------------
def fee_take_view(request: HttpRequest) -> HttpResponse:
    """The operator finds the application by its reference and the applicant's mobile, sees
    the fees due (the server's amounts) and records the cash or UPI taken for one: the same
    ledger as an online payment, and the file moves on once it is paid."""
    centre = _centre(request)
    lookup = CounterFeeLookupForm(request.POST or request.GET or None)
    take = CounterFeeForm(request.POST if "fee_code" in request.POST else None)
    application, taken, status = None, None, 200
    if lookup.is_bound and lookup.is_valid():
        try:
            application = selectors.application_for_counter_fee(
                operator=request.user,
                reference=lookup.cleaned_data["reference"],
                mobile=lookup.cleaned_data["mobile"],
            )
        except NotFound as exc:
            lookup.add_error("reference", exc.message)
            status = 400
    elif lookup.is_bound:
        status = 400
    if application is not None and take.is_bound:
        fee = application.fees.filter(code=request.POST.get("fee_code", "")).first()
        if fee is None:
            raise Http404("No such fee on this application.")
        if take.is_valid():
            try:
                taken = payment_record_at_counter(
                    fee=fee,
                    method=take.cleaned_data["fee_method"],
                    receipt=take.cleaned_data["fee_receipt_number"],
                    operator=request.user,
                    centre_code=centre.code,
                )
            except ValidationFailed as exc:
                for key, problems in exc.errors.items():
                    for problem in problems:
                        take.add_error(key if key in take.fields else None, problem)
                status = 400
            except ActionNotAllowed as exc:
                take.add_error(None, exc.message)
                status = 400
            else:
                messages.success(
                    request,
                    f"Rs {taken.amount_paise / 100:.2f} taken for {application.reference}: "
                    f"receipt {taken.receipt_number}.",
                )
                application.refresh_from_db()
                take = CounterFeeForm()
        else:
            status = 400
    return render(
        request,
        "channels/fee_take.html",
        {
            "centre": centre,
            "lookup": lookup,
            "take": take,
            "application": application,
            "fees": fee_rows(application, LANGUAGE) if application else [],
            "taken": taken,
        },
        status=status,
    )


def fee_receipt_view(request: HttpRequest, order_id: str) -> HttpResponse:
    """The receipt of a fee taken at this centre, to print for the citizen."""
    _centre(request)
    try:
        payment = selectors.counter_payment_of(operator=request.user, order_id=order_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(receipt_pdf(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------------------
# The helpline
# ------------------------------------------------------------------------------
def _agent(request: HttpRequest) -> None:
    try:
        selectors.helpline_agent_check(request.user)
    except ActionNotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def helpline_status_view(request: HttpRequest) -> HttpResponse:
    _agent(request)
    form = StatusQueryForm(request.POST or None)
    results, made = None, 0
    if request.method == "POST" and form.is_valid():
        try:
            results = services.helpline_status_answer(
                agent=request.user,
                mobile=form.cleaned_data["mobile"],
                reference=form.cleaned_data["reference"],
            )
        except ValidationFailed as exc:
            _form_errors_from(form, exc)
        else:
            if len(results) >= selectors.STATUS_ANSWER_LIMIT:
                made = selectors.applications_made_with(mobile=form.cleaned_data["mobile"])
    calls = Paginator(selectors.helpline_calls_of(agent=request.user), CALLS_PAGE_SIZE)
    return render(
        request,
        "channels/helpline_status.html",
        {
            "form": form,
            "results": results,
            "made": made,
            "calls": calls.get_page(request.GET.get("calls")),
        },
        status=400 if form.errors else 200,
    )


def helpline_grievance_view(request: HttpRequest) -> HttpResponse:
    _agent(request)
    grievances = list(selectors.grievance_services())
    if not grievances:
        raise Http404("No grievance type is open for registration.")
    code = request.GET.get("service") or grievances[0].code
    service = next((s for s in grievances if s.code == code), None)
    if service is None:
        raise Http404("No such grievance type.")
    schema = service.current_version.form_schema
    # One page: every step's questions but uploads, which a caller cannot hand over.
    steps = [
        (step, [f for f in step.fields if document_field(schema, f) is None])
        for step in form_steps(schema, LANGUAGE)
    ]
    fields = [f for _step, step_fields in steps for f in step_fields]
    form = HelplineCallForm(request.POST or None, prefix="call")
    data: dict = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = parse_submission(schema, request.POST, fields=fields)
        data, row_command = apply_row_commands(schema, data, request.POST)
        data = prune_hidden(schema, data)
        if not row_command:
            status = 400
            if form.is_valid():
                try:
                    call = services.helpline_grievance_register(
                        agent=request.user,
                        service=service,
                        data=data,
                        language=form.cleaned_data["language"],
                    )
                except ValidationFailed as exc:
                    errors = {k.removeprefix("data."): v for k, v in exc.errors.items()}
                else:
                    reference = call.application.reference
                    messages.success(
                        request, f"Registered as {reference}: read it out to the caller."
                    )
                    return redirect("helpline:registered", reference=reference)
    return render(
        request,
        "channels/helpline_grievance.html",
        {
            "service": service,
            "service_name": selectors.service_name(service.current_version),
            "grievances": [(s.code, selectors.service_name(s.current_version)) for s in grievances],
            "sections": [
                {
                    "title": step.title,
                    "html": render_fields(
                        schema, data, errors, fields=step_fields, language=LANGUAGE
                    ),
                }
                for step, step_fields in steps
                if step_fields
            ],
            "declaration": form_declaration(schema, LANGUAGE),
            "error_summary": error_summary(schema, errors, language=LANGUAGE),
            "form": form,
        },
        status=status,
    )


def helpline_registered_view(request: HttpRequest, reference: str) -> HttpResponse:
    _agent(request)
    try:
        call = selectors.helpline_registration_of(agent=request.user, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "channels/helpline_registered.html",
        {"registration": selectors.registration_for(call)},
    )
