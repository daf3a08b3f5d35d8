"""The demo's officers who must give a second factor get codes by SMS, so that `make run`
and the browser tests sign in with the code shown in the demo SMS box, as a citizen does:
to the mobile on their officer contact, else to one demo number. Idempotent: an officer who
has a device keeps it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from seva.accounts.models import SmsDevice
from seva.accounts.selectors import roles_needing_second_factor
from seva.org.models import OfficerProfile, Posting

# Where the codes of demo officers without a mobile of their own go (never a real number:
# the demo's SMS stay in the demo box).
DEMO_SECOND_FACTOR_MOBILE = "9000000100"


def demo_second_factor_seed() -> int:
    """Enrol the demo people who need a second factor and have no device; how many."""
    User = get_user_model()
    needing = set(
        Posting.objects.active_on(timezone.localdate())
        .filter(role__code__in=roles_needing_second_factor(), user__is_active=True)
        .values_list("user_id", flat=True)
    )
    if settings.SEVA_SECOND_FACTOR_FOR_SUPERUSERS:
        needing |= set(
            User.objects.filter(is_superuser=True, is_active=True).values_list("id", flat=True)
        )
    enrolled = set(SmsDevice.objects.values_list("user_id", flat=True))
    enrolled |= set(TOTPDevice.objects.values_list("user_id", flat=True))
    mobiles = dict(
        OfficerProfile.objects.filter(user_id__in=needing)
        .exclude(mobile="")
        .values_list("user_id", "mobile")
    )
    devices = []
    for user_id in sorted(needing - enrolled):
        mobile = mobiles.get(user_id, DEMO_SECOND_FACTOR_MOBILE)
        devices.append(
            SmsDevice(
                user_id=user_id, name=f"SMS to XXXXXX{mobile[-2:]}", mobile=mobile, confirmed=True
            )
        )
    SmsDevice.objects.bulk_create(devices)
    return len(devices)


def demo_sign_in_mobile(username: str, officer_mobiles: dict[str, str]) -> str:
    """Where a demo officer's sign-in codes go, from the demo's officer mobiles."""
    return officer_mobiles.get(username) or DEMO_SECOND_FACTOR_MOBILE
