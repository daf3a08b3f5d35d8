"""The demo's partner system: a partner scoped to the income certificate and the public
grievance, with one live key. The key is shown once when issued, so the demo keeps it in
var/ (never in the repository) for `make run` to print and the README's curl session to use;
if that file is lost, the old key is revoked and a new one issued."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from seva.api.models import Partner, PartnerKey
from seva.api.services import partner_create, partner_key_issue, partner_key_revoke

DEMO_PARTNER = "demo-portal"
DEMO_SERVICES = ["income-certificate", "public-grievance"]


def demo_key_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-partner-key.txt"


def demo_partner_seed() -> str:
    """The demo partner's live key (made if need be)."""
    partner = Partner.objects.filter(code=DEMO_PARTNER).first()
    if partner is None:
        partner = partner_create(
            code=DEMO_PARTNER, name="Demo partner portal", service_codes=DEMO_SERVICES
        )
    path = demo_key_file()
    live = PartnerKey.objects.filter(partner=partner, revoked_at__isnull=True)
    if path.exists():
        key = path.read_text().strip()
        if live.filter(prefix=key.split(".")[0]).exists():
            return key
    for old in live:
        partner_key_revoke(key=old)
    key = partner_key_issue(partner=partner, label="demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key
