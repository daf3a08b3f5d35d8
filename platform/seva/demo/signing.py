"""The demo's certifying authority: a demo CA and a certificate for every named demo officer,
so that the demo's documents are signed in their names (docs/documents.md, "Signers"). Each
certificate says DEMO; production never makes these (SEVA_DOCUMENT_DEMO_SIGNING is off)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model

from seva.documents import qr, signing
from seva.documents.services import SYSTEM_SIGNER, SYSTEM_SIGNER_NAME
from seva.org.models import Posting

from .org import DemoLogin


def demo_signing_seed(logins: list[DemoLogin]) -> int:
    """The demo CA, the QR key, and a certificate for the platform's own key and for each
    named officer (the roster's officers get theirs on first use). Idempotent."""
    directory = settings.SEVA_DOCUMENT_SIGNING_DIR
    passphrase = settings.SEVA_DOCUMENT_SIGNER["passphrase"].encode() or None
    signing.make_demo_ca(directory)
    qr.load_or_create_key(settings.SEVA_QR_KEY_DIR)
    named = [login.username for login in logins if not login.rostered]
    officers = Posting.objects.filter(user__username__in=named).values("user")
    users = {
        user.username: user.get_full_name() or user.username
        for user in get_user_model().objects.filter(pk__in=officers)
    }
    made = 0
    for username, full_name in [(SYSTEM_SIGNER, SYSTEM_SIGNER_NAME), *sorted(users.items())]:
        if not (directory / f"{username}.p12").exists():
            made += 1
        signing.issue_demo_certificate(
            directory, username=username, full_name=full_name, passphrase=passphrase
        )
    return made
