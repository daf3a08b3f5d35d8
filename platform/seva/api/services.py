"""Writes of the API's own: partner keys issued and revoked; applications a partner files,
one per partner id however often it is sent."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from seva.applications.models import Application, Channel
from seva.applications.services import application_submit
from seva.citizens.services import citizen_for_mobile
from seva.core.errors import ActionNotAllowed, ValidationFailed
from seva.definitions.models import Service
from seva.formschemas.paths import get_path

from .models import Partner, PartnerApplication, PartnerKey

KEY_PREFIX_BYTES = 4  # 8 hex characters: enough to find a key, useless to guess it


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def partner_create(*, code: str, name: str, service_codes: list[str]) -> Partner:
    """A partner and the account it acts as (no password: it signs in with its keys only)."""
    User = get_user_model()
    user = User.objects.create_user(username=f"partner-{code}")
    user.set_unusable_password()
    user.first_name = name[:150]
    user.save()
    partner = Partner.objects.create(code=code, name=name, user=user)
    partner.services.set(Service.objects.filter(code__in=service_codes))
    return partner


def partner_key_issue(*, partner: Partner, label: str = "") -> str:
    """A new key for `partner`, returned once in full (`<prefix>.<secret>`); only its hash
    is kept."""
    prefix = secrets.token_hex(KEY_PREFIX_BYTES)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    PartnerKey.objects.create(partner=partner, prefix=prefix, key_hash=key_hash(key), label=label)
    return key


def partner_key_revoke(*, key: PartnerKey) -> None:
    PartnerKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def partner_application_file(
    *,
    partner: Partner,
    service_code: str,
    partner_reference: str,
    data: Any,
    language: str = "en",
) -> tuple[Application, bool]:
    """File an application for a citizen from a partner system. The same `partner_reference`
    again returns the application it made (False: not created now); a service outside the
    partner's scope is refused."""
    partner_reference = (partner_reference or "").strip()
    if not partner_reference:
        raise ValidationFailed({"partner_reference": ["Send your own id for this application."]})
    known = _filed(partner, partner_reference)
    if known is not None:
        return known, False
    service = partner.services.filter(code=service_code, current_version__isnull=False).first()
    if service is None:
        raise ActionNotAllowed(f"This key may not file '{service_code}'.")
    applicant = _applicant_for(service, data)
    try:
        with transaction.atomic():
            application = application_submit(
                service=service,
                data=data,
                applicant=applicant,
                channel=Channel.PARTNER,
                filed_by=partner.user,
                language=language,
            )
            PartnerApplication.objects.create(
                partner=partner, partner_reference=partner_reference, application=application
            )
    except IntegrityError:
        # The same id sent twice at once: the other request made it.
        known = _filed(partner, partner_reference)
        if known is None:
            raise
        return known, False
    return application, True


def _filed(partner: Partner, partner_reference: str) -> Application | None:
    link = (
        PartnerApplication.objects.select_related("application")
        .filter(partner=partner, partner_reference=partner_reference)
        .first()
    )
    return link.application if link else None


def _applicant_for(service: Service, data: Any):
    """The citizen the application is for: the account of the mobile on the form (made if
    new), so that it shows in their applications and they get its SMS."""
    field = service.current_version.spec.applicant.mobile_field
    mobile = get_path(data, field)
    if not isinstance(mobile, str) or len(mobile) != 10 or not mobile.isdigit():
        raise ValidationFailed({f"data.{field}": ["Give the citizen's 10-digit mobile number."]})
    return citizen_for_mobile(mobile=mobile)
