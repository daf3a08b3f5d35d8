"""Uploaded documents: checked by their content (not their name), streamed to storage, and
claimed by exactly one application when it is submitted."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.core.errors import ValidationFailed
from seva.formschemas import rendering
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.lint import MAX_UPLOAD_BYTES
from seva.formschemas.paths import schema_at, set_path

from .file_checks import ImageVerdict, PdfVerdict, image_verdict, pdf_verdict
from .models import Application, Document

# What each accepted type starts with, and its name for people.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return (
            f"{size / (1024 * 1024):.0f} MB"
            if size % (1024 * 1024) == 0
            else f"{size / (1024 * 1024):.1f} MB"
        )
    return f"{max(size // 1024, 1)} KB"


def detect_content_type(head: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def _content_refusal(content: bytes, content_type: str) -> str | None:
    """Why a file of a type we take is refused for what it holds, or None."""
    if content_type == "application/pdf":
        verdict = pdf_verdict(content)
        if verdict is PdfVerdict.ACTIVE_CONTENT:
            return _(
                "This PDF contains scripts, attachments or other active content. "
                "Upload a plain PDF, such as a scan."
            )
        if verdict is PdfVerdict.ENCRYPTED:
            return _(
                "This PDF is locked with a password or encrypted. "
                "Upload a copy without the lock, or a scan."
            )
        if verdict is PdfVerdict.DAMAGED:
            return _("This PDF is damaged and cannot be opened. Upload it again, or a scan.")
        return None
    max_pixels = settings.SEVA_MAX_IMAGE_PIXELS
    verdict = image_verdict(content, image_format=TYPE_NAMES[content_type], max_pixels=max_pixels)
    if verdict is ImageVerdict.TOO_MANY_PIXELS:
        return _(
            "This image has more pixels than we accept (at most %(max)s megapixels). "
            "Upload a smaller photo or scan."
        ) % {"max": f"{max_pixels / 1_000_000:g}"}
    if verdict is ImageVerdict.DAMAGED:
        return _("This image is damaged or incomplete. Upload it again.")
    return None


def _types_in_words(accept: Iterable[str]) -> str:
    names = [TYPE_NAMES.get(t, t) for t in accept]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + _(" or ") + names[-1]


def new_token() -> str:
    return f"doc_{secrets.token_hex(16)}"


def document_upload(
    *,
    owner,
    uploaded_file: UploadedFile,
    field: str,
    accept: list[str],
    max_bytes: int,
    at: dt.datetime | None = None,
) -> Document:
    """Store an upload for form field `field` after checking its size and real type.
    Raises ValidationFailed keyed by `field` with a message the citizen can act on."""
    max_bytes = min(max_bytes, MAX_UPLOAD_BYTES)
    if uploaded_file.size > max_bytes:
        raise ValidationFailed(
            {
                field: [
                    _(
                        "The file is %(size)s; the largest allowed is %(max)s. Upload a smaller file."
                    )
                    % {"size": human_size(uploaded_file.size), "max": human_size(max_bytes)}
                ]
            }
        )
    if uploaded_file.size == 0:
        raise ValidationFailed({field: [_("The file is empty. Choose the file again.")]})
    digest = hashlib.sha256()
    content = bytearray()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
        content += chunk
    content_type = detect_content_type(bytes(content[:16]))
    if content_type not in accept:
        raise ValidationFailed(
            {
                field: [
                    _(
                        "This file is not a %(types)s, whatever its name says. Upload a %(types)s file."
                    )
                    % {"types": _types_in_words(accept)}
                ]
            }
        )
    refusal = _content_refusal(bytes(content), content_type)
    if refusal:
        raise ValidationFailed({field: [refusal]})

    document = Document(
        token=new_token(),
        owner=owner,
        field=field,
        original_name=(uploaded_file.name or "upload")[-200:],
        content_type=content_type,
        size=uploaded_file.size,
        sha256=digest.hexdigest(),
        uploaded_at=at or timezone.now(),
    )
    uploaded_file.seek(0)
    document.file.save(document.token, uploaded_file, save=False)
    document.save()
    return document


# What an officer may attach to an action: scans and signed orders.
ATTACHMENT_FIELD = "attachments"
ATTACHMENT_ACCEPT = ["application/pdf", "image/jpeg", "image/png"]
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_ACTION = 5


def attachment_upload(*, owner, uploaded_file: UploadedFile) -> Document:
    """Store a file an officer attaches to an action, checked like any upload. Errors are
    keyed `attachments`."""
    return document_upload(
        owner=owner,
        uploaded_file=uploaded_file,
        field=ATTACHMENT_FIELD,
        accept=ATTACHMENT_ACCEPT,
        max_bytes=ATTACHMENT_MAX_BYTES,
    )


def attachments_check_count(count: int) -> None:
    """Refuse more attachments than one action takes, before any is stored."""
    if count > ATTACHMENTS_PER_ACTION:
        raise ValidationFailed(
            {
                ATTACHMENT_FIELD: [
                    _("Attach at most %(n)s files to one action.") % {"n": ATTACHMENTS_PER_ACTION}
                ]
            }
        )


def attachments_by_token(*, owner, tokens: Iterable[str]) -> list[Document]:
    """The attachments `owner` uploaded, by token (for the API). Whether each may still be
    attached is decided by `application_act`; a token that is not the owner's is an error."""
    tokens = list(dict.fromkeys(tokens))
    attachments_check_count(len(tokens))
    found = list(Document.objects.filter(token__in=tokens, owner=owner))
    if len(found) != len(tokens):
        raise ValidationFailed({ATTACHMENT_FIELD: [_("Attach the file again.")]})
    return found


def document_fields(schema: dict, data: Any, prefix: str = "") -> list[tuple[str, str, dict]]:
    """(dotted path, token, field schema) of every file field answered in `data`."""
    found: list[tuple[str, str, dict]] = []
    if not isinstance(schema, dict):
        return found
    if isinstance(data, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if name in data:
                found += document_fields(sub, data[name], f"{prefix}{name}.")
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found += document_fields(schema.get("items") or {}, item, f"{prefix}{index}.")
    elif schema.get("format") == "document" and isinstance(data, str):
        found.append((prefix.rstrip("."), data, schema))
    return found


def documents_check_claimable(
    schema: dict, data: Any, *, owners: Iterable, application: Application | None = None
) -> tuple[list[Document], dict[str, list[str]]]:
    """The documents `data` refers to, if each was uploaded by one of `owners`, is not part of
    another application (a correction may keep `application`'s own), and fits its field;
    else errors keyed `data.<path>`."""
    owner_ids = {o.pk for o in owners if o is not None}
    found, errors = [], {}
    for path, token, field_schema in document_fields(schema, data):
        document = Document.objects.filter(token=token, owner_id__in=owner_ids).first()
        spec = field_schema.get("x-file") or {}
        taken = document is not None and document.application_id not in (
            None,
            getattr(application, "pk", None),
        )
        if document is None or taken:
            errors[f"data.{path}"] = [_("Upload the document again.")]
        elif document.content_type not in spec.get("accept", []) or document.size > spec.get(
            "max_bytes", 0
        ):
            errors[f"data.{path}"] = [
                _("This file does not fit this question. Upload the right document.")
            ]
        else:
            found.append(document)
    return found, errors


def documents_attach(documents: list[Document], application: Application) -> None:
    Document.objects.filter(pk__in=[d.pk for d in documents], application__isnull=True).update(
        application=application
    )


class UploadLimitHandler(FileUploadHandler):
    """Stops reading a file as soon as it passes the largest size any form allows, so a huge
    upload never fills the disk. The view then tells the citizen the file was too large."""

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.SEVA_MAX_UPLOAD_BYTES:
            too_large = getattr(self.request, "seva_uploads_too_large", set())
            too_large.add(self.field_name)
            self.request.seva_uploads_too_large = too_large
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


@dataclass(frozen=True)
class StepAnswers:
    data: dict  # the whole form's answers with this step's replaced (hidden ones dropped)
    row_command: bool  # an "Add another" / "Remove" button was pressed, not "Continue"
    upload_errors: dict[str, list[str]]


def step_answers_read(
    request, *, schema: dict, fields: list[str], saved: dict, too_large_message: str
) -> StepAnswers:
    """One step of a schema-rendered form as posted, merged into the `saved` answers: each
    file chosen is stored (owned by the user sending it, with its field's checks of type and
    size) and its token put at the field's path; the repeatable groups' buttons are carried
    out; answers to fields that no longer apply are dropped. A file the upload handler
    stopped for its size is refused with `too_large_message`. The portal and the service
    centre's counter both read a step this way."""
    posted = rendering.parse_submission(schema, request.POST, fields=fields)
    errors: dict[str, list[str]] = {}
    too_large = getattr(request, "seva_uploads_too_large", set())
    for path in sorted(set(request.FILES) | too_large):
        spec = (schema_at(schema, path) or {}).get("x-file")
        if path.split(".")[0] not in fields or not spec:
            continue
        if path in too_large:
            errors[path] = [too_large_message]
            continue
        try:
            document = document_upload(
                owner=request.user,
                uploaded_file=request.FILES[path],
                field=path,
                accept=spec["accept"],
                max_bytes=spec["max_bytes"],
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
        else:
            set_path(posted, path, document.token)
    data = rendering.replace_step_answers(saved, posted, fields=fields)
    data, row_command = rendering.apply_row_commands(schema, data, request.POST)
    return StepAnswers(prune_hidden(schema, data), row_command, errors)
