"""Drafts: an application being filled in step by step, resumable until submitted; also a
returned application being corrected by its applicant."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from seva.core.errors import ActionNotAllowed, NotFound
from seva.definitions.models import Service
from seva.definitions.selectors import form_schema_for, form_validator_for, workflow_for
from seva.formschemas.conditions import prune_hidden
from seva.formschemas.rules import with_computed
from seva.formschemas.validation import validate_form_data, with_kept_masked_values

from .errors import DraftAlreadySent
from .models import Application, ApplicationDraft
from .services import application_act, application_submit


def draft_for(
    *, user, service: Service, language: str, at: dt.datetime | None = None
) -> ApplicationDraft:
    """The citizen's open draft for `service`, or a new one on its current version."""
    draft = (
        ApplicationDraft.objects.filter(user=user, service=service, correcting__isnull=True)
        .order_by("-updated_at")
        .first()
    )
    now = at or timezone.now()
    version = service.current_version
    if version is None:
        raise NotFound(_("This service is not open for applications."))
    if draft is None:
        draft = ApplicationDraft.objects.create(
            user=user,
            service=service,
            service_version=version,
            language=language,
            created_at=now,
            updated_at=now,
        )
    elif draft.service_version_id != version.pk:
        # The service changed since the draft began: new applications go on the newest
        # version, so the draft moves to it (answers it no longer asks for are refused later).
        draft.service_version = version
        draft.save(update_fields=["service_version", "updated_at"])
    return draft


def draft_get(*, user, draft_id) -> ApplicationDraft:
    """The user's draft. One they sent already (a second tap on "Send" arriving after the
    first was done) raises DraftAlreadySent with what it made; any other, NotFound."""
    try:
        return ApplicationDraft.objects.select_related(
            "service", "service_version", "correcting"
        ).get(pk=draft_id, user=user)
    except ApplicationDraft.DoesNotExist:
        sent = Application.objects.filter(draft_id=draft_id, applicant=user).first()
        if sent is not None:
            raise DraftAlreadySent(sent.reference) from None
        raise NotFound(_("No such draft.")) from None


def draft_save(*, draft: ApplicationDraft, data: dict, at: dt.datetime | None = None) -> None:
    draft.data = data
    draft.updated_at = at or timezone.now()
    draft.save(update_fields=["data", "updated_at"])


def draft_discard(*, draft: ApplicationDraft) -> None:
    draft.delete()


def correction_draft(
    *, application: Application, user, language: str, at: dt.datetime | None = None
) -> ApplicationDraft:
    """A draft holding a returned application's answers, for its applicant to correct."""
    if correcting_action(application) is None:
        raise ActionNotAllowed(_("This application is not waiting for your corrections."))
    existing = ApplicationDraft.objects.filter(user=user, correcting=application).first()
    if existing is not None:  # corrections already begun are kept
        return existing
    now = at or timezone.now()
    draft = ApplicationDraft.objects.create(
        user=user,
        correcting=application,
        service=application.service,
        service_version=application.service_version,
        data=application.data,
        language=language,
        created_at=now,
        updated_at=now,
    )
    return draft


def correcting_action(application: Application) -> str | None:
    """The citizen action that sends corrected answers from the current state, if any."""
    if application.is_closed:
        return None
    workflow = workflow_for(application.service_version)
    for transition in workflow.transitions_from(application.state):
        if transition.corrects_form and transition.for_citizen:
            return transition.action
    return None


def _sent_from(draft: ApplicationDraft) -> Application | None:
    if draft.correcting_id:
        return draft.correcting
    return Application.objects.filter(draft_id=draft.pk).first()


@transaction.atomic
def draft_submit(*, draft: ApplicationDraft, language: str) -> Application:
    """Submit a draft: a new application, or the corrections to a returned one.

    The draft's row is locked first: a second "Send" of the same draft waits for the first,
    then finds the draft gone and raises DraftAlreadySent with what the first made. Raises
    NotFound for a draft deleted without being sent."""
    locked = ApplicationDraft.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        sent = _sent_from(draft)
        if sent is None:
            raise NotFound(_("No such draft."))
        raise DraftAlreadySent(sent.reference)
    draft = locked
    correcting = draft.correcting
    if correcting is not None:
        action = correcting_action(correcting)
        if action is None:
            raise ActionNotAllowed(_("This application is no longer waiting for your corrections."))
        application = application_act(
            application=correcting, user=draft.user, action=action, inputs=draft.data
        )
    else:
        application = application_submit(
            service=draft.service,
            data=draft.data,
            applicant=draft.user,
            language=language,
            draft_id=draft.pk,
        )
    draft.delete()
    return application


def draft_errors(*, draft: ApplicationDraft, data: dict | None = None) -> dict[str, list[str]]:
    """What is wrong with the draft's answers (or `data`), checked as submission will check
    them; a correction may keep the Aadhaar numbers that are stored masked."""
    schema = form_schema_for(draft.service_version)
    answers = with_computed(schema, prune_hidden(schema, draft.data if data is None else data))
    if draft.correcting is not None:
        answers = with_kept_masked_values(schema, answers, draft.correcting.data)
    return validate_form_data(form_validator_for(draft.service_version), answers)
