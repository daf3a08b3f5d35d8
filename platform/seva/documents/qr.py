"""The QR code on an issued document: a short, signed statement of what the document says.

A scanner that holds the department's published public keys can check a printed certificate
without reaching the server: the payload names the document (number, type, holder, dates,
office, where to verify it) and is signed with an Ed25519 key kept on the server (ADR 0019).

    SV1.<base64url of compact JSON>.<key id>.<base64url of the Ed25519 signature>

The signature covers everything before its own dot, the version and key id included. The key
id is the first 8 hex digits of the SHA-256 of the raw public key, so keys can be rotated and
the old ones still published for documents already issued.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pypdfium2
import segno
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "SV1"
KEY_FILE = "qr-signing-key.pem"
# n number, t type, h holder's name, i issue date (ISO), v valid until (ISO or ""),
# o issuing office, u the verification URL.
FACT_KEYS = frozenset({"n", "t", "h", "i", "v", "o", "u"})


class InvalidPayload(Exception):
    """A QR payload that is not ours, is damaged, or was not signed by a published key."""


@dataclass(frozen=True)
class PayloadKey:
    key_id: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


def load_key(directory: Path) -> PayloadKey | None:
    """The signing key in `directory`, or None when there is none yet."""
    path = Path(directory) / KEY_FILE
    if not path.exists():
        return None
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return PayloadKey(key_id=key_id_of(private_key.public_key()), private_key=private_key)


def load_or_create_key(directory: Path) -> PayloadKey:
    """The signing key in `directory`, created (readable by this user only) if missing."""
    existing = load_key(directory)
    if existing is not None:
        return existing
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Written beside, then linked into place: link() fails if the key exists, so two processes
    # starting together never keep two different keys, and no reader sees half a file.
    partial = directory / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    try:
        os.link(partial, directory / KEY_FILE)
    except FileExistsError:
        key = load_key(directory)
        assert key is not None
        return key
    finally:
        partial.unlink()
    return PayloadKey(key_id=key_id_of(private_key.public_key()), private_key=private_key)


def key_id_of(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw(public_key)).hexdigest()[:8]


def public_keys_document(keys: Sequence[PayloadKey]) -> dict[str, Any]:
    """The keys a scanner needs, as a JSON Web Key Set (published for verifiers)."""
    return {
        "keys": [
            {
                "kid": key.key_id,
                "kty": "OKP",
                "alg": "EdDSA",
                "crv": "Ed25519",
                "x": _b64encode(_raw(key.public_key)),
            }
            for key in keys
        ]
    }


def public_keys_from_document(document: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a published key set, by key id (other kinds of key are skipped)."""
    keys: dict[str, Ed25519PublicKey] = {}
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise ValueError('A key document needs a "keys" list')
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("crv") != "Ed25519":
            continue
        kid, x = entry.get("kid"), entry.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            raise ValueError('Each Ed25519 key needs a "kid" and an "x"')
        try:
            keys[kid] = Ed25519PublicKey.from_public_bytes(_b64decode(x))
        except ValueError as error:
            raise ValueError(f"Key {kid!r} is not a valid Ed25519 public key") from error
    return keys


def sign_payload(facts: Mapping[str, str], key: PayloadKey) -> str:
    """The signed, compact text for a document's QR code (see the module docstring)."""
    unknown = set(facts) - FACT_KEYS
    if unknown:
        raise ValueError(f"Unknown QR fact keys: {', '.join(sorted(unknown))}")
    if not all(isinstance(value, str) for value in facts.values()):
        raise ValueError("QR facts must be strings")
    body = json.dumps(dict(facts), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    signed = f"{PREFIX}.{_b64encode(body.encode('utf-8'))}.{key.key_id}"
    signature = key.private_key.sign(signed.encode("ascii"))
    return f"{signed}.{_b64encode(signature)}"


def verify_payload(text: str, public_keys: Mapping[str, Ed25519PublicKey]) -> dict[str, str]:
    """The facts of a signed payload; InvalidPayload says why one is refused."""
    parts = text.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX:
        raise InvalidPayload(f"Not a Seva document code (expected {PREFIX}.<data>.<key>.<sig>)")
    _, body, kid, signature = parts
    public_key = public_keys.get(kid)
    if public_key is None:
        raise InvalidPayload(f"Signed with an unknown key {kid!r}")
    try:
        public_key.verify(_b64decode(signature), f"{PREFIX}.{body}.{kid}".encode("ascii"))
    except (InvalidSignature, ValueError, UnicodeEncodeError) as error:
        raise InvalidPayload("The signature does not match: the code was changed") from error
    try:
        facts = json.loads(_b64decode(body).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidPayload("The signed data is not readable") from error
    if not isinstance(facts, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in facts.items()
    ):
        raise InvalidPayload("The signed data is not a set of facts")
    return facts


def qr_png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """`text` as a black-and-white PNG QR code (error correction M: survives a fold or a
    smudge over about 15% of the code)."""
    buffer = BytesIO()
    segno.make(text, error="m", boost_error=False).save(
        buffer, kind="png", scale=scale, border=border
    )
    return buffer.getvalue()


def decode_qr_codes(pdf: bytes, *, page: int = -1, dpi: int = 200) -> list[str]:
    """The QR codes a scanner reads on a page of `pdf` (the last page by default), rendered
    as an image at `dpi`."""
    # zxing-cpp is a development dependency (tests, the benchmark): the server never scans.
    import zxingcpp  # noqa: PLC0415

    document = pypdfium2.PdfDocument(pdf)
    try:
        pdf_page = document[page if page >= 0 else len(document) + page]
        image = pdf_page.render(scale=dpi / 72, grayscale=True).to_pil()
        pdf_page.close()
    finally:
        document.close()
    return [
        result.text
        for result in zxingcpp.read_barcodes(
            image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    ]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("Not base64url") from error
