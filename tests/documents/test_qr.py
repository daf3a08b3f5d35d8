from __future__ import annotations

import base64
import json
import stat

import pytest

from seva.documents.pdf import render
from seva.documents.qr import (
    InvalidPayload,
    decode_qr_codes,
    load_key,
    load_or_create_key,
    public_keys_document,
    public_keys_from_document,
    sign_payload,
    verify_payload,
)

from .layouts import english_layout, hindi_layout

FACTS = {
    "n": "HR/INC/AMB/2026/000123",
    "t": "income",
    "h": "सुनीता देवी",
    "i": "2026-12-07",
    "v": "2027-03-31",
    "o": "Tehsildar, Ambala",
    "u": "https://seva.example.gov.in/verify/HR-INC-AMB-2026-000123/",
}


def published(key):
    """The key set as a scanner gets it: through JSON."""
    return public_keys_from_document(json.loads(json.dumps(public_keys_document([key]))))


def test_a_signed_payload_read_from_the_printed_qr_code_verifies_with_the_published_keys(
    tmp_path,
):
    key = load_or_create_key(tmp_path)
    payload = sign_payload(FACTS, key)
    rendered = render(hindi_layout(qr_text=payload))

    scanned = decode_qr_codes(rendered.pdf)

    assert scanned == [payload]
    assert verify_payload(scanned[0], published(key)) == FACTS


def test_the_qr_code_is_on_the_last_page_of_a_long_document(tmp_path):
    payload = sign_payload(FACTS, load_or_create_key(tmp_path))
    rendered = render(english_layout(paragraphs=14, qr_text=payload))

    assert decode_qr_codes(rendered.pdf, page=0) == []
    assert decode_qr_codes(rendered.pdf, page=-1) == [payload]


def test_a_payload_with_one_character_changed_in_its_data_is_refused(tmp_path):
    key = load_or_create_key(tmp_path)
    prefix, body, kid, signature = sign_payload(FACTS, key).split(".")
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    changed = data.replace(b"2027-03-31", b"2029-03-31")
    forged_body = base64.urlsafe_b64encode(changed).rstrip(b"=").decode()

    with pytest.raises(InvalidPayload, match="signature does not match"):
        verify_payload(".".join((prefix, forged_body, kid, signature)), published(key))


def test_a_payload_signed_by_an_unknown_key_is_refused(tmp_path):
    ours = load_or_create_key(tmp_path / "ours")
    theirs = load_or_create_key(tmp_path / "theirs")

    with pytest.raises(InvalidPayload, match="unknown key"):
        verify_payload(sign_payload(FACTS, theirs), published(ours))


def test_text_that_is_not_a_payload_is_refused(tmp_path):
    with pytest.raises(InvalidPayload, match="Not a Seva document code"):
        verify_payload("https://example.com/", published(load_or_create_key(tmp_path)))


def test_the_key_is_created_once_private_to_its_owner_and_then_reused(tmp_path):
    assert load_key(tmp_path) is None
    created = load_or_create_key(tmp_path)
    again = load_or_create_key(tmp_path)

    assert again.key_id == created.key_id
    assert len(created.key_id) == 8
    assert stat.S_IMODE((tmp_path / "qr-signing-key.pem").stat().st_mode) == 0o600
    (document_key,) = public_keys_document([created])["keys"]
    assert document_key["kid"] == created.key_id and document_key["crv"] == "Ed25519"


def test_unknown_fact_keys_are_refused_when_signing(tmp_path):
    with pytest.raises(ValueError, match="zz"):
        sign_payload({**FACTS, "zz": "x"}, load_or_create_key(tmp_path))
