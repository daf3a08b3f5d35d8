"""The citizen's side of issued documents: downloading from My applications and from public
tracking, the SMS link (/t/<reference>/), and the public verification page with its keys."""

from __future__ import annotations

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from seva.accounts.ratelimit import too_many
from seva.applications.models import Application
from seva.core.errors import NotFound
from seva.documents.models import DocumentStatus
from seva.documents.selectors import (
    LANGUAGE_NAMES,
    document_file,
    documents_of,
    published_keys,
    verification_of,
)

from . import selectors

_TYPED = str.maketrans({"-": None, " ": None, "0": "O", "1": "I", "8": "B"})
TRACK_DOWNLOAD_SALT = "seva.portal.track-download"
TRACK_DOWNLOAD_SECONDS = 30 * 60


def _in_language(texts, language: str) -> str:
    return texts.get(language) or texts.get("en") or ""


def issued_rows(application: Application, language: str, *, url_for) -> list[dict]:
    """The file's documents as the citizen sees them; `url_for(document, language)` gives
    each PDF's address (My applications, or a tracking link)."""
    spec = application.service_version.spec
    rows = []
    for document in documents_of(application):
        issue = spec.issue(document.code)
        pending = document.status == DocumentStatus.PENDING
        rows.append(
            {
                "name": _in_language(issue.name, language) if issue else document.kind,
                "number": document.number,
                "pending": pending,
                "status": document.status,
                "valid_until": document.valid_until,
                "files": []
                if pending
                else [
                    {
                        "label": LANGUAGE_NAMES.get(f.language, f.language),
                        "url": url_for(document, f.language),
                    }
                    for f in document.files.all()
                ],
            }
        )
    return rows


def my_issued_rows(application: Application, language: str) -> list[dict]:
    return issued_rows(
        application,
        language,
        url_for=lambda d, lang: reverse(
            "portal:issued-file", args=[application.reference, d.public_id, lang]
        ),
    )


def tracked_issued_rows(reference: str, language: str) -> list[dict]:
    """For public tracking, once the reference and mobile matched: links that work for half
    an hour, carrying what was matched (signed), not the document's code."""
    application = Application.objects.select_related("service_version").get(reference=reference)
    return issued_rows(
        application,
        language,
        url_for=lambda d, lang: reverse(
            "portal:track-download",
            args=[
                signing.dumps(
                    {"r": reference, "d": d.public_id, "l": lang}, salt=TRACK_DOWNLOAD_SALT
                )
            ],
        ),
    )


def _pdf_response(found) -> FileResponse:
    response = FileResponse(
        found.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{found.document.number.replace('/', '-')}-{found.language}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def issued_file(request: HttpRequest, reference: str, public_id: str, language: str):
    """One of the signed PDFs of the citizen's own application."""
    try:
        application = selectors.own_application(user=request.user, reference=reference)
        return _pdf_response(document_file(application, public_id=public_id, language=language))
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def track_download(request: HttpRequest, token: str):
    try:
        claim = signing.loads(token, salt=TRACK_DOWNLOAD_SALT, max_age=TRACK_DOWNLOAD_SECONDS)
        application = Application.objects.get(reference=claim["r"])
        return _pdf_response(document_file(application, public_id=claim["d"], language=claim["l"]))
    except (signing.BadSignature, KeyError, TypeError, Application.DoesNotExist, NotFound):
        raise Http404(_("This download link has expired. Track the application again.")) from None


@require_GET
def sms_link(request: HttpRequest, reference: str):
    """The address in the SMS: the tracking page, with the reference filled in."""
    return redirect(f"{reverse('portal:track')}?{urlencode({'reference': reference[:40]})}")


@require_GET
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """The public verification page: the document's few facts and its status to one who gives
    its number and verification code (both on the document and in its QR code); the same
    answer for a number that does not exist and a code that is wrong."""
    # Read out or typed: dashes and spaces dropped, and the digits people mistake for the
    # code's letters (it has no 0, 1 or 8) read as those letters.
    code = request.GET.get("code", "").upper().translate(_TYPED)[:40]
    context: dict = {"number": number, "code": code, "result": None}
    status = 200
    if code:
        if too_many(request, "verify", limit=60, per_seconds=3600):
            context["error"] = _("Too many checks from this connection. Try again in an hour.")
            status = 429
        else:
            try:
                context["result"] = verification_of(number=number, code=code)
            except NotFound:
                context["error"] = _(
                    "No document matches that number and verification code. Check both, as "
                    "printed on the document."
                )
                status = 404
    response = render(request, "portal/verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@cache_control(public=True, max_age=3600)
def verification_keys(request: HttpRequest) -> JsonResponse:
    """The public keys that check the signature carried by every document's QR code."""
    return JsonResponse(published_keys())
