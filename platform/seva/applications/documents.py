"""Uploaded documents: checked by their content (not their name), streamed to storage, and
claimed by exactly one application when it is submitted. Each person holds a bounded number
of uploads no application has claimed yet; those no draft names either are deleted after a
day (docs/security.md, "Uploads")."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.core.errors import ActionNotAllowed, Conflict, ValidationFailed
from seva.core.registry import Registry
from seva.formschemas.lint import MAX_UPLOAD_BYTES
from seva.formschemas.paths import schema_at
from seva.org.selectors import postings_active

from .file_checks import ImageVerdict, PdfVerdict, image_verdict, pdf_verdict
from .models import Application, ApplicationDraft, Document

# What each accepted type starts with, and its name for people.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
TOKEN_PREFIX = "doc_"


class DocumentsTaken(Conflict):
    """The uploads were sent with another application a moment ago (the same request sent
    twice at once): `reference` is that application's. Only the uploads' owner, who filed it
    or for whom it was filed, gets this far."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            _(
                "These documents were already sent with application %(ref)s. Look it up "
                "instead of sending it again; for a new application upload them again."
            )
            % {"ref": reference}
        )


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
    image = image_verdict(content, image_format=TYPE_NAMES[content_type], max_pixels=max_pixels)
    if image is ImageVerdict.TOO_MANY_PIXELS:
        return _(
            "This image has more pixels than we accept (at most %(max)s megapixels). "
            "Upload a smaller photo or scan."
        ) % {"max": f"{max_pixels / 1_000_000:g}"}
    if image is ImageVerdict.DAMAGED:
        return _("This image is damaged or incomplete. Upload it again.")
    return None


def _types_in_words(accept: Iterable[str]) -> str:
    names = [TYPE_NAMES.get(t, t) for t in accept]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + _(" or ") + names[-1]


def new_token() -> str:
    return f"{TOKEN_PREFIX}{secrets.token_hex(16)}"


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
    size = uploaded_file.size or 0  # a file received whole always knows its size
    if size > max_bytes:
        raise ValidationFailed(
            {
                field: [
                    _(
                        "The file is %(size)s; the largest allowed is %(max)s. Upload a smaller file."
                    )
                    % {"size": human_size(size), "max": human_size(max_bytes)}
                ]
            }
        )
    if size == 0:
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
        size=size,
        sha256=digest.hexdigest(),
        uploaded_at=at or timezone.now(),
    )
    with transaction.atomic():
        _lock_uploads_of(owner)
        _check_quota(owner, adding=document.size, field=field, at=document.uploaded_at)
        uploaded_file.seek(0)
        document.file.save(document.token, uploaded_file, save=False)
        try:
            document.save()
        except BaseException:
            if document.file.name:  # set by the save above
                document.file.storage.delete(document.file.name)
            raise
    return document


# What an officer may attach to an action: scans and signed orders.
ATTACHMENT_FIELD = "attachments"
ATTACHMENT_ACCEPT = ["application/pdf", "image/jpeg", "image/png"]
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_PER_ACTION = 5


def attachments_check_allowed(user) -> None:
    """Attachments go with an officer's action on a file: someone who holds no posting today
    (a citizen, a partner system's account) may not upload them."""
    if not postings_active(user):
        raise ActionNotAllowed(
            _(
                "Only officers attach files to an action. To send a document for an "
                "application, upload it for the form's field."
            )
        )


def attachment_upload(*, owner, uploaded_file: UploadedFile) -> Document:
    """Store a file an officer attaches to an action, checked like any upload. Errors are
    keyed `attachments`; someone who is not an officer is refused (ActionNotAllowed)."""
    attachments_check_allowed(owner)
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
    else errors keyed `data.<path>`. An upload already sent with another application raises
    DocumentsTaken naming it: that is the answer to the same request sent twice, whether the
    second arrives while the first is being filed (then `documents_lock` or `documents_claim`
    catches it) or after. One query for all of them."""
    owner_ids = {o.pk for o in owners if o is not None}
    fields = list(document_fields(schema, data))
    by_token = {
        d.token: d
        for d in Document.objects.filter(
            token__in={token for _path, token, _schema in fields}, owner_id__in=owner_ids
        )
    }
    found, errors = [], {}
    for path, token, field_schema in fields:
        document = by_token.get(token)
        spec = field_schema.get("x-file") or {}
        if document is not None and document.application_id not in (
            None,
            getattr(application, "pk", None),
        ):
            raise DocumentsTaken(Application.objects.get(pk=document.application_id).reference)
        if document is None:
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


def documents_claim(documents: list[Document], application: Application) -> None:
    """Claim `documents` for the new `application`, in one statement: each must still be
    unclaimed. Two submissions naming the same uploads take turns on their rows; the second
    finds one taken and raises DocumentsTaken, which rolls back everything it made."""
    if not documents:
        return
    ids = {d.pk for d in documents}
    claimed = Document.objects.filter(pk__in=ids, application__isnull=True).update(
        application=application
    )
    if claimed != len(ids):
        taker = (
            Document.objects.filter(pk__in=ids)
            .exclude(application=application)
            .exclude(application__isnull=True)
            .values_list("application__reference", flat=True)
            .first()
        )
        raise DocumentsTaken(taker or "")


def documents_lock(documents: list[Document], *, application: Application | None = None) -> None:
    """Lock the rows of `documents` for the caller's transaction and make sure none has been
    claimed by another application since it was checked (a correction may keep
    `application`'s own). Two submissions naming the same uploads take turns here: the second
    finds them taken and raises DocumentsTaken, before it has made anything."""
    locked = Document.objects.select_for_update().filter(pk__in=[d.pk for d in documents])
    keep = getattr(application, "pk", None)
    taken = [d.application_id for d in locked if d.application_id not in (None, keep)]
    if taken:
        raise DocumentsTaken(Application.objects.get(pk=taken[0]).reference)


def documents_attach(documents: list[Document], application: Application) -> None:
    """Claim `documents` (locked by `documents_lock` in this transaction) for `application`."""
    Document.objects.filter(pk__in=[d.pk for d in documents], application__isnull=True).update(
        application=application
    )


# ------------------------------------------------------------------------------
# Uploads no application has claimed yet: the quota, and the clean-up
# ------------------------------------------------------------------------------
# One rule for both: an unclaimed upload is kept while it is younger than
# SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS or a live draft of its owner names it (a citizen's saved
# application, a service centre's filing in progress); the clean-up deletes the others, and
# the quota counts exactly the kept ones, so what the quota counts is what the person can
# free by sending or discarding a draft, or by waiting.
#
# Where drafts keep answers not yet sent: each source returns the answers (JSON) of the
# live drafts of the given users; the documents' tokens are found in them. An app that keeps
# such drafts registers its source (seva.channels registers the counter's).
DraftAnswers = Callable[[Collection[int]], Iterable[Any]]
DRAFT_ANSWERS: Registry[DraftAnswers] = Registry("source of draft answers")


@DRAFT_ANSWERS.register("portal")
def _portal_draft_answers(owner_ids: Collection[int]) -> Iterable[Any]:
    return ApplicationDraft.objects.filter(user_id__in=owner_ids).values_list("data", flat=True)


def tokens_in_drafts(*, owner_ids: Collection[int]) -> set[str]:
    """The document tokens that the live drafts of `owner_ids` name."""
    tokens: set[str] = set()
    for name in DRAFT_ANSWERS:
        for answers in DRAFT_ANSWERS.get(name)(owner_ids):
            tokens.update(_tokens_in(answers))
    return tokens


def _tokens_in(answers: Any) -> Iterator[str]:
    pending = [answers]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str) and value.startswith(TOKEN_PREFIX):
            yield value


def _kept_since(at: dt.datetime) -> dt.datetime:
    return at - dt.timedelta(hours=settings.SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS)


def unclaimed_uploads_kept(*, owner, at: dt.datetime | None = None) -> QuerySet[Document]:
    """`owner`'s uploads that no application has claimed and that the clean-up keeps."""
    at = at or timezone.now()
    held = tokens_in_drafts(owner_ids=[owner.pk])
    return Document.objects.filter(owner=owner, application__isnull=True).filter(
        Q(uploaded_at__gte=_kept_since(at)) | Q(token__in=held)
    )


def _lock_uploads_of(owner) -> None:
    """One upload of a person's at a time, from the quota's count to the row written: a
    burst of parallel uploads cannot all pass the same count. The person's row is locked
    until the transaction ends; other people's uploads do not wait."""
    list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values_list("pk"))


def _check_quota(owner, *, adding: int, field: str, at: dt.datetime) -> None:
    held = unclaimed_uploads_kept(owner=owner, at=at).aggregate(files=Count("pk"), size=Sum("size"))
    files, size = held["files"], held["size"] or 0
    if (
        files + 1 > settings.SEVA_UNCLAIMED_UPLOADS_MAX_FILES
        or size + adding > settings.SEVA_UNCLAIMED_UPLOADS_MAX_BYTES
    ):
        raise ValidationFailed(
            {
                field: [
                    _(
                        "You already have %(count)s uploaded files (%(size)s) that are not part "
                        "of a sent application, the most we keep for one person. Send or discard "
                        "an application you saved, then upload again; files you did not use are "
                        "removed after a day."
                    )
                    % {"count": files, "size": human_size(size)}
                ]
            }
        )


def documents_delete_unclaimed(*, at: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Delete the uploads that no application claimed within the kept hours and that no live
    draft of their owner names: the row and the stored file. Returns how many went. Safe to
    run twice, and beside submissions: each row is locked and checked again before it goes."""
    since = _kept_since(at or timezone.now())
    deleted, after = 0, 0
    while True:
        batch = list(
            Document.objects.filter(application__isnull=True, uploaded_at__lt=since, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "owner_id", "token")[:batch_size]
        )
        if not batch:
            return deleted
        after = batch[-1][0]
        held = tokens_in_drafts(owner_ids={owner_id for _pk, owner_id, _token in batch})
        for pk, _owner_id, token in batch:
            if token not in held and _delete_if_unclaimed(pk=pk, since=since):
                deleted += 1


def _delete_if_unclaimed(*, pk: int, since: dt.datetime) -> bool:
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(pk=pk, application__isnull=True, uploaded_at__lt=since)
            .first()
        )
        if document is None:  # claimed, or deleted, since the batch was read
            return False
        storage, name = document.file.storage, document.file.name
        document.delete()
        # Inside the transaction: if the storage fails, the row stays for the next run
        # rather than a row without its file or a file without its row.
        if name:
            storage.delete(name)
    return True


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


def uploads_too_large(request) -> set[str]:
    """The fields whose files UploadLimitHandler stopped reading on `request` (a Django
    HttpRequest) because they passed the largest size any form allows."""
    return set(getattr(request, "seva_uploads_too_large", ()))


def step_uploads_store(
    *,
    owner,
    schema: dict,
    fields: Sequence[str],
    files: Mapping[str, UploadedFile],
    too_large: Collection[str] = (),
    too_large_message: str,
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The files chosen on one step of a schema-rendered form (`files` by field path), each
    stored, owned by `owner`, with its field's checks of type and size: (the token stored at
    each path, the errors by path). A file the upload handler stopped for its size (a path in
    `too_large`) is refused with `too_large_message`. The portal and the service centre's
    counter both store a step's files this way."""
    tokens: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for path in sorted(set(files) | set(too_large)):
        spec = (schema_at(schema, path) or {}).get("x-file")
        if path.split(".")[0] not in fields or not spec:
            continue
        if path in too_large:
            errors[path] = [too_large_message]
            continue
        try:
            document = document_upload(
                owner=owner,
                uploaded_file=files[path],
                field=path,
                accept=spec["accept"],
                max_bytes=spec["max_bytes"],
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
        else:
            tokens[path] = document.token
    return tokens, errors
