"""The citizen's pages that are not Wagtail content: signing in, applying step by step,
following one's applications, public tracking. Each view checks input, calls one service
or selector, and renders."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from seva.accounts.ratelimit import hit, over, too_many
from seva.applications import drafts, presenters
from seva.applications.documents import step_uploads_store, uploads_too_large
from seva.applications.errors import DraftAlreadySent
from seva.applications.models import ApplicationDraft
from seva.applications.posted import action_posted
from seva.applications.services import application_act, feedback_give
from seva.citizens.forms import MobileForm, OtpForm
from seva.citizens.services import (
    SignInRefused,
    citizen_language_of,
    citizen_language_set,
    citizen_message_choices_set,
    citizen_profile_of,
    otp_request,
    otp_verify,
)
from seva.core.errors import ActionNotAllowed, Conflict, NotFound, ValidationFailed
from seva.core.redirects import local_next
from seva.definitions.selectors import form_schema_for, service_get
from seva.formschemas import wizard
from seva.formschemas.answers import answers as answer_pages
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.steps import form_declaration, form_steps, form_title
from seva.payments.selectors import fee_rows

from . import selectors
from .forms import FeedbackForm, MessageChoicesForm, TrackForm
from .issued import my_issued_rows, tracked_issued_rows
from .payments import allow_paying_from, payment_options

SESSION_MOBILE = "seva_signin_mobile"
# A bound on the page number keeps the row offset well inside what the database accepts.
MAX_PAGE = 100_000


def _language(request: HttpRequest) -> str:
    return (translation.get_language() or "en")[:2]


# ------------------------------------------------------------------------------
# Signing in by OTP
# ------------------------------------------------------------------------------
def login_start(request: HttpRequest) -> HttpResponse:
    form = MobileForm(request.POST or None)
    next_url = local_next(request, reverse("portal:my-applications"))
    if request.method == "POST" and form.is_valid():
        if too_many(request, "otp-send", limit=10, per_seconds=3600):
            form.add_error("mobile", _("Too many requests from this connection. Try again later."))
        else:
            try:
                otp_request(mobile=form.cleaned_data["mobile"], language=_language(request))
            except SignInRefused as exc:
                form.add_error("mobile", exc.message)
            except ValidationFailed as exc:
                for message in exc.errors.get("mobile", []):
                    form.add_error("mobile", message)
            else:
                request.session[SESSION_MOBILE] = form.cleaned_data["mobile"]
                return redirect(f"{reverse('portal:login-verify')}?next={next_url}")
    return render(
        request,
        "portal/login.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


def login_verify(request: HttpRequest) -> HttpResponse:
    mobile = request.session.get(SESSION_MOBILE)
    if not mobile:
        return redirect("portal:login")
    form = OtpForm(request.POST or None)
    next_url = local_next(request, reverse("portal:my-applications"))
    if request.method == "POST" and form.is_valid():
        try:
            user = otp_verify(mobile=mobile, code=form.cleaned_data["code"])
        except SignInRefused as exc:
            form.add_error("code", exc.message)
        except ValidationFailed as exc:
            for message in exc.errors.get("code", []):
                form.add_error("code", message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            request.session.pop(SESSION_MOBILE, None)
            # A language chosen on this device before signing in wins, and is remembered
            # for the citizen's SMS; else the one remembered from an earlier visit.
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if chosen in dict(settings.LANGUAGES):
                citizen_language_set(user=user, language=chosen)
                language = chosen
            else:
                language = citizen_language_of(user)
            response = redirect(next_url)
            if language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
            return response
    masked = f"{mobile[:2]}XXXXXX{mobile[-2:]}"
    return render(
        request,
        "portal/login_verify.html",
        {"form": form, "masked_mobile": masked, "next": next_url},
        status=400 if form.errors else 200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; remembered in a cookie and, for a signed-in citizen, for their SMS."""
    language = request.POST.get("language", "")
    response = redirect(local_next(request, "/"))
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
        if request.user.is_authenticated:
            citizen_language_set(user=request.user, language=language)
    return response


# ------------------------------------------------------------------------------
# Applying, step by step
# ------------------------------------------------------------------------------
@login_required
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    try:
        service = service_get(code=code)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    draft = drafts.draft_for(user=request.user, service=service, language=_language(request))
    return redirect(
        "portal:apply-step", draft_id=draft.id, step_id=_first_step(draft, _language(request)).id
    )


def _first_step(draft: ApplicationDraft, language: str):
    return form_steps(draft.service_version.form_schema, language)[0]


def _with_draft(view):
    """A view of one of the citizen's drafts, called with the draft: 404 if it is not theirs;
    the acknowledgement of what it made if they sent it already (a second tap on "Send"
    arriving after the first was done, or the back button)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, draft_id, **kwargs) -> HttpResponse:
        try:
            draft = drafts.draft_get(user=request.user, draft_id=draft_id)
        except DraftAlreadySent as exc:
            messages.info(request, exc.message)
            return redirect("portal:acknowledgement", reference=exc.reference)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        return view(request, draft, **kwargs)

    return wrapped


def _documents(draft: ApplicationDraft) -> dict[str, dict]:
    return selectors.document_names(
        user=draft.user, data=draft.data, schema=draft.service_version.form_schema
    )


@login_required
@_with_draft
def apply_step(request: HttpRequest, draft: ApplicationDraft, step_id: str) -> HttpResponse:
    language = _language(request)
    schema = form_schema_for(draft.service_version)
    steps = form_steps(schema, language)
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
            too_large_message=_(
                "The file is larger than the largest allowed. Upload a smaller file."
            ),
        )
        data, row_command = wizard.step_answers(
            schema, request.POST, fields=step.fields, saved=draft.data, uploaded=uploaded
        )
        drafts.draft_save(draft=draft, data=data)
        if row_command:
            return redirect(f"{request.path}#main")
        if "save_and_exit" in request.POST:
            messages.success(
                request,
                _("Your application is saved. You can come back to it from My applications."),
            )
            return redirect("portal:my-applications")
        errors = wizard.step_errors(drafts.draft_errors(draft=draft, data=data), step)
        errors.update(upload_errors)
        if not errors:
            following = wizard.step_after(steps, step)
            if following and "to_check" not in request.POST:
                return redirect("portal:apply-step", draft_id=draft.id, step_id=following.id)
            return redirect("portal:apply-check", draft_id=draft.id)
        status = 400
    page = wizard.step_page(
        schema=schema,
        steps=steps,
        step=step,
        data=draft.data,
        errors=errors,
        language=language,
        documents=_documents(draft),
    )
    return render(
        request,
        "portal/apply_step.html",
        {"draft": draft, "service": draft.service, **page},
        status=status,
    )


@login_required
@_with_draft
def apply_check(request: HttpRequest, draft: ApplicationDraft) -> HttpResponse:
    language = _language(request)
    schema = form_schema_for(draft.service_version)
    errors = drafts.draft_errors(draft=draft)
    status = 200
    if request.method == "POST" and not errors:
        try:
            application = drafts.draft_submit(draft=draft, language=language)
        except ValidationFailed as exc:
            errors = {k.removeprefix("data."): v for k, v in exc.errors.items()}
            status = 400
        except DraftAlreadySent as exc:
            # A second tap on "Send": the citizen sees what the first one made.
            messages.info(request, exc.message)
            if draft.correcting_id:
                return redirect("portal:my-application", reference=exc.reference)
            return redirect("portal:acknowledgement", reference=exc.reference)
        except (ActionNotAllowed, Conflict) as exc:
            messages.error(request, exc.message)
            return redirect("portal:my-applications")
        else:
            if draft.correcting_id:
                messages.success(
                    request, _("Your corrected application has been sent back to the office.")
                )
                return redirect("portal:my-application", reference=application.reference)
            return redirect("portal:acknowledgement", reference=application.reference)
    elif request.method == "POST":
        status = 400
    steps = form_steps(schema, language)
    return render(
        request,
        "portal/apply_check.html",
        {
            "draft": draft,
            "service": draft.service,
            "title": form_title(schema, language),
            "answers": answer_pages(
                schema,
                prune_hidden(schema, draft.data),
                language=language,
                documents=_documents(draft),
            ),
            "declaration": form_declaration(schema, language),
            "error_summary": selectors.check_page_errors(
                schema, errors, steps, language=language, draft=draft
            ),
        },
        status=status,
    )


@login_required
@require_POST
@_with_draft
def apply_discard(request: HttpRequest, draft: ApplicationDraft) -> HttpResponse:
    drafts.draft_discard(draft=draft)
    messages.success(request, _("The draft was deleted."))
    return redirect("portal:my-applications")


# ------------------------------------------------------------------------------
# My applications
# ------------------------------------------------------------------------------
def _page_number(request: HttpRequest, name: str) -> int:
    """The page asked for in `?name=`, 1 when not given; anything but a page number is a
    page that does not exist."""
    given = request.GET.get(name, "1")
    if not (given.isascii() and given.isdigit()) or not 0 < int(given) <= MAX_PAGE:
        raise Http404(_("There is no page %(number)s.") % {"number": given[:20]})
    return int(given)


def _pager(request: HttpRequest, page, *, name: str, anchor: str, label: str) -> dict | None:
    """Links to the pages before and after `page`, keeping what else the address asks for."""
    if page.paginator.num_pages <= 1:
        return None

    def url(number: int) -> str:
        query = request.GET.copy()
        if number == 1:
            query.pop(name, None)
        else:
            query[name] = str(number)
        return f"?{query.urlencode()}#{anchor}" if query else f"{request.path}#{anchor}"

    return {
        "label": label,
        "number": page.number,
        "pages": page.paginator.num_pages,
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    language = _language(request)
    try:
        sent, rows = selectors.applications_page(
            user=request.user, language=language, number=_page_number(request, "page")
        )
        unsent, draft_rows = selectors.drafts_page(
            user=request.user, language=language, number=_page_number(request, "drafts")
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "portal/my_applications.html",
        {
            "drafts": draft_rows,
            "drafts_count": unsent.paginator.count,
            "drafts_pager": _pager(
                request, unsent, name="drafts", anchor="drafts", label=_("Pages of drafts")
            ),
            "applications": rows,
            "applications_count": sent.paginator.count,
            "applications_pager": _pager(
                request, sent, name="page", anchor="sent", label=_("Pages of applications sent")
            ),
        },
    )


@login_required
def message_choices(request: HttpRequest) -> HttpResponse:
    """A citizen chooses the language of their SMS and whether to get messages that are not
    about their applications' status."""
    profile = citizen_profile_of(request.user)
    if profile is None:
        raise Http404(_("Only citizens who sign in with their mobile number have messages."))
    initial = {
        "language": profile.language or _language(request),
        "other_messages": profile.other_messages,
    }
    form = MessageChoicesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        citizen_message_choices_set(
            user=request.user,
            language=form.cleaned_data["language"],
            other_messages=form.cleaned_data["other_messages"],
        )
        language = form.cleaned_data["language"]
        translation.activate(language)
        messages.success(request, _("Your choices are saved."))
        response = redirect("portal:message-choices")
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
        )
        return response
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "portal/message_choices.html",
        {"form": form, "mobile": profile.mobile},
        status=status,
    )


def _application_or_404(request: HttpRequest, reference: str):
    try:
        return selectors.own_application(user=request.user, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
def my_application(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    language = _language(request)
    fees = fee_rows(application, language)
    response = render(
        request,
        "portal/my_application.html",
        {
            "application": application,
            "view": presenters.application_view(
                application=application, user=request.user, language=language
            ),
            "feedback_form": FeedbackForm() if selectors.feedback_open(application) else None,
            "issued": my_issued_rows(application, language),
            "fees": fees,
            "payment_options": payment_options(),
        },
    )
    return allow_paying_from(response, fees)


@login_required
def acknowledgement(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    fees = fee_rows(application, _language(request))
    response = render(
        request,
        "portal/acknowledgement.html",
        {
            "application": application,
            "view": presenters.application_view(
                application=application, user=request.user, language=_language(request)
            ),
            "fees": fees,
            "payment_options": payment_options(),
            # The clock waits for a fee due while the file is with the citizen.
            "fee_awaited": application.clock_paused_at is not None
            and any(fee.payable for fee in fees),
        },
    )
    return allow_paying_from(response, fees)


@login_required
@require_POST
def citizen_act(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    action = request.POST.get("action", "")
    language = _language(request)
    try:
        posted = action_posted(application, action, request.POST)
        application_act(
            application=application,
            user=request.user,
            action=action,
            remarks=posted.remarks,
            inputs=posted.inputs,
            expected_state=posted.expected_state,
        )
    except ValidationFailed as exc:
        view = presenters.application_view(
            application=application,
            user=request.user,
            language=language,
            errors=exc.errors,
            failed_action=action,
            post=request.POST,
        )
        return render(
            request,
            "portal/my_application.html",
            {"application": application, "view": view},
            status=400,
        )
    except (ActionNotAllowed, Conflict) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done. We have recorded your answer."))
    return redirect("portal:my-application", reference=reference)


@login_required
@require_POST
def correct_start(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    try:
        draft = drafts.correction_draft(
            application=application, user=request.user, language=_language(request)
        )
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect("portal:my-application", reference=reference)
    return redirect(
        "portal:apply-step", draft_id=draft.id, step_id=_first_step(draft, _language(request)).id
    )


@login_required
@require_POST
def feedback(request: HttpRequest, reference: str) -> HttpResponse:
    application = _application_or_404(request, reference)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback_give(
                application=application,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ActionNotAllowed as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you for your feedback."))
        return redirect("portal:my-application", reference=reference)
    view = presenters.application_view(
        application=application, user=request.user, language=_language(request)
    )
    return render(
        request,
        "portal/my_application.html",
        {"application": application, "view": view, "feedback_form": form},
        status=400,
    )


# ------------------------------------------------------------------------------
# Public tracking, documents, the demo SMS box
# ------------------------------------------------------------------------------
def track(request: HttpRequest) -> HttpResponse:
    # The SMS's link (/t/<reference>/) fills in the reference; the mobile is still asked.
    form = TrackForm(request.POST or None, initial={"reference": request.GET.get("reference", "")})
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        if too_many(request, "track", limit=20, per_seconds=3600):
            form.add_error(None, _("Too many searches from this connection. Try again in an hour."))
            status = 429
        else:
            reference = form.cleaned_data["reference"]
            # Wrong guesses of the mobile number for one reference are capped too, whatever
            # connections they come from; after that even a right guess is not answered.
            wrong_key = f"rl:track-wrong:{reference}"
            if over(wrong_key, limit=5):
                result = None
            else:
                result = presenters.public_status(
                    reference=reference,
                    mobile=form.cleaned_data["mobile"],
                    language=_language(request),
                )
                if result is None:
                    hit(wrong_key, limit=5, per_seconds=3600)
                else:
                    result["issued"] = tracked_issued_rows(reference, _language(request))
            if result is None:
                form.add_error(
                    None,
                    _(
                        "No application matches that reference number and mobile number. Check both and try again."
                    ),
                )
                status = 404
    elif request.method == "POST":
        status = 400
    return render(request, "portal/track.html", {"form": form, "result": result}, status=status)


@login_required
def document_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        document = selectors.document_for(user=request.user, token=token)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=True,
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
