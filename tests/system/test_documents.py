"""A citizen downloads the certificate of an approved application, in a real browser, and
anyone can check it: the PDF's signature validates against the certifying authority the
server trusts; the QR code, read off the rendered page as a scanner would, carries a payload
signed with a key the server publishes at /verify/keys.json; and its link opens the public
verification page, which says Valid, then, once the tehsildar revokes the certificate,
Revoked. axe-core checks the verification page in both states.

The application is filed and approved beforehand, straight into the server's database
(`prepare_certificate`, through manage.py shell), and its certificate signed there: the
server's tasks wait in a folder no worker reads."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from seva.documents import qr
from seva.documents.signing import load_trust_roots, validate_pdf

from .browser import audit
from .citizen import sign_in

# A citizen of this test's own: a number may ask for a sign-in code only once a minute, and
# the other journeys sign in the demo citizens.
MOBILE = "9812300451"
NAME = "Savitri Devi"
REVOKE_REASON = "The income was found misstated after a complaint."
PREPARE = "from tests.system.test_documents import prepare_certificate; prepare_certificate()"
REVOKE = (
    "from tests.system.test_documents import revoke_certificate; revoke_certificate({number!r})"
)
TRUST_ROOTS = (
    "import json; from django.conf import settings; "
    "print(json.dumps([str(p) for p in settings.SEVA_DOCUMENT_TRUST_ROOTS]))"
)


# ------------------------------------------------------------------------------
# On the server's side (manage.py shell)
# ------------------------------------------------------------------------------
def prepare_certificate() -> None:
    """An income certificate of Ambala for the citizen with MOBILE: filed, forwarded,
    verified, approved by the tehsildar, and signed. Prints its reference and number."""
    from django.contrib.auth import get_user_model

    from seva.applications.services import application_act, application_submit
    from seva.citizens.services import citizen_for_mobile
    from seva.definitions.models import Service
    from seva.documents.models import IssuedDocument
    from seva.documents.services import document_issue
    from tests.helpers import example_with_documents

    User = get_user_model()
    citizen = citizen_for_mobile(mobile=MOBILE)
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, citizen)
    data["applicant"]["full_name"] = NAME
    data["applicant"]["mobile"] = MOBILE
    application = application_submit(service=service, data=data, applicant=citizen)
    for username, action, inputs in (
        ("clerk.ambala", "forward_for_verification", {}),
        (
            "patwari.ambala",
            "submit_verification_report",
            {"facts_verified": True, "verified_annual_income": 180000},
        ),
        ("tehsildar.ambala", "approve", {}),
    ):
        application = application_act(
            application=application,
            user=User.objects.get(username=username),
            action=action,
            remarks="Checked.",
            inputs=inputs,
        )
    document = IssuedDocument.objects.get(application=application, code="certificate")
    document_issue(document.pk)  # what the worker does once the approval is committed
    document.refresh_from_db()
    assert document.status == "issued", document.last_error
    print(json.dumps({"reference": application.reference, "number": document.number}))


def revoke_certificate(number: str) -> None:
    from django.contrib.auth import get_user_model

    from seva.documents.services import document_revoke

    tehsildar = get_user_model().objects.get(username="tehsildar.ambala")
    document_revoke(user=tehsildar, number=number, reason=REVOKE_REASON)


def _last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


# ------------------------------------------------------------------------------
# The journey
# ------------------------------------------------------------------------------
def test_the_citizen_downloads_a_signed_certificate_that_verifies_until_it_is_revoked(
    page, site, site_manage
):
    prepared = json.loads(_last_line(site_manage("shell", "-c", PREPARE)))
    reference, number = prepared["reference"], prepared["number"]

    # --- The citizen: My applications, the application, the certificate ----------
    sign_in(page, MOBILE, language="en")
    audit(page, "my-applications", language="en")
    with page.expect_navigation():
        page.click(f"a[href='/my/{reference}/']")
    audit(page, "approved-application", language="en")
    assert "Issued to you" in page.inner_text("main")
    assert number in page.inner_text(".issued-list")
    link = page.get_by_role("link", name="Download (English, PDF)")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{number.replace('/', '-')}-en.pdf"
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")

    # --- The signature: valid, from the authority the server trusts ----------------
    roots = json.loads(_last_line(site_manage("shell", "-c", TRUST_ROOTS)))
    # In a thread of its own: pyHanko's validation runs an event loop of its own, and this
    # thread has Playwright's running (validate_pdf reports that as a changed document).
    with ThreadPoolExecutor(max_workers=1) as worker:
        check = worker.submit(
            validate_pdf, pdf, load_trust_roots([Path(p) for p in roots])
        ).result()
    assert check.intact and check.trusted, check

    # --- The QR code, as a scanner reads it, checked with the published keys -------
    codes = qr.decode_qr_codes(pdf)
    assert len(codes) == 1, codes
    with urllib.request.urlopen(f"{site.base_url}/verify/keys.json", timeout=10) as answer:
        keys = qr.public_keys_from_document(json.load(answer))
    facts = qr.verify_payload(codes[0], keys)
    assert facts["n"] == number and facts["h"] == NAME
    # One changed character and the payload is refused.
    prefix, body, kid, signature = codes[0].split(".")
    body = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    tampered = ".".join([prefix, body, kid, signature])
    try:
        qr.verify_payload(tampered, keys)
    except qr.InvalidPayload:
        pass
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("a changed payload was accepted")

    # --- The verification page, from the payload's link ---------------------------
    # The link names the configured public address (SEVA_BASE_URL); its path and code are
    # opened on the server under test.
    link_to = urllib.parse.urlsplit(facts["u"])
    assert link_to.path == f"/verify/{number}/", facts["u"]
    verify_path = f"{link_to.path}?{link_to.query}"
    page.context.clear_cookies()  # anyone at all may check a document
    page.goto(verify_path)
    audit(page, "verification-valid", language="en")
    status = page.inner_text(".verify-status")
    assert status.startswith("Valid"), status
    assert NAME in page.inner_text(".facts")

    # --- Revoked by the tehsildar: the same page says so ----------------------------
    site_manage("shell", "-c", REVOKE.format(number=number))
    page.reload()
    audit(page, "verification-revoked", language="en")
    status = page.inner_text(".verify-status")
    assert status.startswith("Revoked"), status
    assert REVOKE_REASON in page.inner_text(".verify-result")
