from __future__ import annotations

import pytest
from cryptography import x509

from seva.documents.pdf import render
from seva.documents.signing import (
    DEMO_CA_CERTIFICATE,
    DEMO_CA_NAME,
    Pkcs12Signers,
    SignerUnavailable,
    load_trust_roots,
    make_demo_ca,
    sign_pdf,
    signers_from_settings,
    validate_pdf,
)

from .layouts import demo_keys, english_layout, hindi_layout


def signed_certificate(keys, *, username="tehsildar.ambala", name="Rajesh Kumar", layout=None):
    rendered = render(layout or english_layout())
    signer = Pkcs12Signers(keys, b"demo-passphrase").signer_for(username)
    signed = sign_pdf(
        rendered.pdf,
        signer,
        box=rendered.signature_box,
        page=rendered.page,
        signer_name=name,
        reason="Income certificate issued",
        location="Ambala",
    )
    return rendered, signed


def test_a_signed_certificate_is_intact_and_trusted_with_the_signers_name(tmp_path):
    keys = demo_keys(tmp_path, "tehsildar.ambala", "Rajesh Kumar")
    rendered, signed = signed_certificate(keys)

    check = validate_pdf(signed, load_trust_roots([keys / DEMO_CA_CERTIFICATE]))

    assert signed.startswith(rendered.pdf)  # an incremental update: the rendered bytes kept
    assert check.intact
    assert check.trusted
    assert check.signer_name == "Rajesh Kumar"
    assert check.signed_at is not None


def test_one_changed_byte_in_the_page_content_breaks_the_signature(tmp_path):
    keys = demo_keys(tmp_path)
    rendered, signed = signed_certificate(keys)
    stream_start = rendered.pdf.index(b"stream\n") + len(b"stream\n")
    tampered = bytearray(signed)
    tampered[stream_start + 10] ^= 0x01

    check = validate_pdf(bytes(tampered), load_trust_roots([keys / DEMO_CA_CERTIFICATE]))

    assert not check.intact
    assert not check.trusted


def test_a_truncated_file_is_reported_not_intact_rather_than_raising(tmp_path):
    keys = demo_keys(tmp_path)
    _, signed = signed_certificate(keys)

    check = validate_pdf(signed[: len(signed) * 2 // 3], load_trust_roots([keys / "demo-ca.pem"]))

    assert not check.intact


def test_a_certificate_from_another_ca_is_intact_but_not_trusted(tmp_path):
    keys = demo_keys(tmp_path / "keys")
    _, signed = signed_certificate(keys)
    make_demo_ca(tmp_path / "other")

    check = validate_pdf(signed, load_trust_roots([tmp_path / "other" / DEMO_CA_CERTIFICATE]))

    assert check.intact
    assert not check.trusted


def test_an_unsigned_document_is_refused_clearly():
    with pytest.raises(ValueError, match="no digital signature"):
        validate_pdf(render(english_layout()).pdf, [])


def test_a_devanagari_signer_name_signs_and_validates(tmp_path):
    keys = demo_keys(tmp_path, "tehsildar.hisar", "राजेश कुमार शर्मा")
    _, signed = signed_certificate(
        keys, username="tehsildar.hisar", name="राजेश कुमार शर्मा", layout=hindi_layout()
    )

    check = validate_pdf(signed, load_trust_roots([keys / DEMO_CA_CERTIFICATE]))

    assert check.intact and check.trusted
    assert check.signer_name == "राजेश कुमार शर्मा"


def test_the_demo_ca_is_kept_when_made_again_and_marked_demo(tmp_path):
    make_demo_ca(tmp_path)
    first = (tmp_path / DEMO_CA_CERTIFICATE).read_bytes()
    make_demo_ca(tmp_path)

    assert (tmp_path / DEMO_CA_CERTIFICATE).read_bytes() == first
    subject = x509.load_pem_x509_certificate(first).subject.rfc4514_string()
    assert "DEMO" in DEMO_CA_NAME and DEMO_CA_NAME in subject


def test_a_missing_key_or_a_wrong_passphrase_names_what_is_missing(tmp_path):
    keys = demo_keys(tmp_path)

    with pytest.raises(SignerUnavailable, match=r"nobody\.p12"):
        Pkcs12Signers(keys, b"demo-passphrase").signer_for("nobody")
    with pytest.raises(SignerUnavailable, match="wrong passphrase"):
        Pkcs12Signers(keys, b"not-the-passphrase").signer_for("tehsildar.ambala")


def test_signers_are_chosen_by_the_backend_setting(tmp_path):
    signers = signers_from_settings(
        {"backend": "pkcs12", "directory": str(tmp_path), "passphrase": "x"}
    )

    assert isinstance(signers, Pkcs12Signers)
    assert signers.passphrase == b"x"
    with pytest.raises(ValueError, match='"backend"'):
        signers_from_settings({"backend": "usb-stick"})
    with pytest.raises(ValueError, match='"module"'):
        signers_from_settings({"backend": "pkcs11", "token_label": "t", "pin": "1"})
