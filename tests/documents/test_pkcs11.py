"""Signing through PKCS#11, against a SoftHSM token made for the test run.

SoftHSM reads SOFTHSM2_CONF when the library is first initialised in a process, so one token
directory serves every test of this module (a module-scoped fixture)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pkcs11
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Attribute, CertificateType, ObjectClass

from seva.documents.pdf import render
from seva.documents.signing import (
    DEMO_CA_CERTIFICATE,
    Pkcs11Signers,
    SignerUnavailable,
    load_trust_roots,
    sign_pdf,
    signers_from_settings,
    validate_pdf,
)

from .layouts import demo_keys, english_layout

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
TOKEN = "seva-test"
PIN = "1234"

if not SOFTHSM.exists() and not os.environ.get("SEVA_REQUIRE_SOFTHSM"):
    pytest.skip(
        f"SoftHSM is not installed ({SOFTHSM} missing; apt install softhsm2); "
        "set SEVA_REQUIRE_SOFTHSM=1 to make this a failure",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def token(tmp_path_factory):
    """A SoftHSM token holding tehsildar.ambala's demo key and certificate; yields the
    directory of the demo CA that issued them."""
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    util = ["softhsm2-util"]
    subprocess.run(
        [*util, "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )

    keys = demo_keys(root / "keys", "tehsildar.ambala", "Rajesh Kumar")
    key, certificate, _ = pkcs12.load_key_and_certificates(
        (keys / "tehsildar.ambala.p12").read_bytes(), b"demo-passphrase"
    )
    assert key is not None and certificate is not None
    key_file = root / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [
            *util,
            "--import",
            str(key_file),
            "--token",
            TOKEN,
            "--label",
            "tehsildar.ambala",
            "--id",
            "01",
            "--pin",
            PIN,
        ],
        check=True,
        capture_output=True,
    )
    key_file.unlink()
    library = pkcs11.lib(str(SOFTHSM))
    with library.get_token(token_label=TOKEN).open(rw=True, user_pin=PIN) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "tehsildar.ambala",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: certificate.subject.public_bytes(),
                Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
            }
        )
    yield keys
    pkcs11.unload(str(SOFTHSM))
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


def test_a_certificate_signed_with_a_key_on_the_token_validates_against_the_demo_ca(token):
    signers = signers_from_settings(
        {"backend": "pkcs11", "module": str(SOFTHSM), "token_label": TOKEN, "pin": PIN}
    )
    assert isinstance(signers, Pkcs11Signers)
    rendered = render(english_layout())

    try:
        signed = sign_pdf(
            rendered.pdf,
            signers.signer_for("tehsildar.ambala"),
            box=rendered.signature_box,
            page=rendered.page,
            signer_name="Rajesh Kumar",
            reason="Income certificate issued",
            location="Ambala",
        )
    finally:
        signers.close()

    check = validate_pdf(signed, load_trust_roots([token / DEMO_CA_CERTIFICATE]))
    assert check.intact and check.trusted
    assert check.signer_name == "Rajesh Kumar"


def test_an_officer_without_a_key_on_the_token_is_named(token):
    signers = Pkcs11Signers(str(SOFTHSM), TOKEN, PIN)

    try:
        with pytest.raises(SignerUnavailable, match=r"'naib\.tehsildar'"):
            signers.signer_for("naib.tehsildar")
    finally:
        signers.close()


def test_a_wrong_pin_or_a_missing_token_is_named(token):
    with pytest.raises(SignerUnavailable, match="PIN"):
        Pkcs11Signers(str(SOFTHSM), TOKEN, "0000").signer_for("tehsildar.ambala")
    with pytest.raises(SignerUnavailable, match="'no-such-token'"):
        Pkcs11Signers(str(SOFTHSM), "no-such-token", PIN).signer_for("tehsildar.ambala")
