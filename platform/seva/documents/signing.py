"""Digital signatures on issued documents: PAdES signing through a pluggable key store,
validation, and a DEMO certifying authority for development and tests (ADR 0019).

An officer's signing key lives either in a PKCS#12 file (`Pkcs12Signers`: development, the
demo, a department that keeps keys on the server) or on a PKCS#11 token or HSM
(`Pkcs11Signers`: a hardware DSC, a network HSM, SoftHSM in tests). `signers_from_settings`
picks one from a settings mapping. Whatever the store, `sign_pdf` adds a PAdES signature
(ETSI.CAdES.detached) with a visible stamp, as an incremental update: the bytes `render`
produced stay as they were, followed by the signature.

`validate_pdf` checks a signed file against the trust roots it is given, offline: no
certificate is fetched and revocation is not checked, because the demo CA publishes no CRL or
OCSP responder. A real CA's roots and revocation checking are a deployment decision.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

import pkcs11
import pkcs11.exceptions
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import (
    AxisAlignment,
    BoxConstraints,
    InnerScaling,
    Margins,
    SimpleBoxLayoutRule,
)
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator import ValidationContext

from seva.documents.pdf import render_signature_stamp

SIGNATURE_FIELD = "OfficerSignature"

DEMO_CA_CERTIFICATE = "demo-ca.pem"
DEMO_CA_KEY = "demo-ca-key.pem"
DEMO_CA_NAME = "Seva DEMO Certifying Authority (not for real use)"
DEMO_ORGANISATION = "DEMO — not a real DSC"


class SignerUnavailable(Exception):
    """No usable signing key for an officer: no key, a wrong PIN or passphrase, no token."""


class Signers(Protocol):
    def signer_for(self, username: str) -> signers.Signer:
        """The signer holding `username`'s key; SignerUnavailable says what is missing."""
        ...


class Pkcs12Signers:
    """Officers' keys as `<directory>/<username>.p12`, all under one passphrase."""

    def __init__(self, directory: Path, passphrase: bytes | None) -> None:
        self.directory = Path(directory)
        self.passphrase = passphrase

    def signer_for(self, username: str) -> signers.Signer:
        path = self.directory / f"{username}.p12"
        if not _is_plain_name(username) or not path.is_file():
            raise SignerUnavailable(f"No signing key for {username!r}: {path} does not exist")
        try:
            return signers.SimpleSigner.load_pkcs12_data(
                path.read_bytes(), other_certs=(), passphrase=self.passphrase
            )
        except ValueError as error:
            raise SignerUnavailable(
                f"The signing key for {username!r} in {path} could not be opened "
                "(wrong passphrase or a damaged file)"
            ) from error


class Pkcs11Signers:
    """Officers' keys on a PKCS#11 token: the private key and the certificate both labelled
    with the officer's username. One session is opened on first use and kept."""

    def __init__(self, module: str, token_label: str, pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self.pin = pin
        self._session: pkcs11.Session | None = None
        self._lock = threading.Lock()

    def signer_for(self, username: str) -> signers.Signer:
        session = self._open_session()
        # The raw mechanism: the digest is computed here and the token only signs it, which
        # every token supports (SoftHSM, for one, has no CKM_ECDSA_SHA256).
        signer = PKCS11Signer(
            session, cert_label=username, key_label=username, use_raw_mechanism=True
        )
        try:
            # Loads the certificate and finds the key now, so a missing one fails here and
            # not halfway through writing the signed file.
            signer.signing_cert  # noqa: B018
        except (pkcs11.exceptions.PKCS11Error, SigningError, PdfError) as error:
            raise SignerUnavailable(
                f"No key and certificate labelled {username!r} on token {self.token_label!r}"
            ) from error
        return signer

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _open_session(self) -> pkcs11.Session:
        with self._lock:
            if self._session is None:
                criteria = TokenCriteria(label=self.token_label)
                try:
                    try:
                        self._session = open_pkcs11_session(
                            self.module, token_criteria=criteria, user_pin=self.pin
                        )
                    except pkcs11.exceptions.UserAlreadyLoggedIn:
                        # A login holds for all of this process's sessions with the token.
                        self._session = open_pkcs11_session(self.module, token_criteria=criteria)
                except pkcs11.exceptions.PinIncorrect as error:
                    raise SignerUnavailable(
                        f"The PIN for token {self.token_label!r} was refused"
                    ) from error
                except (
                    pkcs11.exceptions.PKCS11Error,
                    SigningError,
                    OSError,
                    RuntimeError,
                ) as error:
                    raise SignerUnavailable(
                        f"No token {self.token_label!r} through PKCS#11 module {self.module}: "
                        f"{type(error).__name__} {error}".rstrip()
                    ) from error
            return self._session


def signers_from_settings(config: Mapping[str, Any]) -> Signers:
    """The key store a settings mapping describes:
    {"backend": "pkcs12", "directory": ..., "passphrase": ...} or
    {"backend": "pkcs11", "module": ..., "token_label": ..., "pin": ...}."""
    backend = config.get("backend")
    if backend == "pkcs12":
        passphrase = config.get("passphrase")
        return Pkcs12Signers(
            Path(_required(config, "directory")),
            passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase,
        )
    if backend == "pkcs11":
        return Pkcs11Signers(
            module=_required(config, "module"),
            token_label=_required(config, "token_label"),
            pin=_required(config, "pin"),
        )
    raise ValueError(f'Unknown signing "backend" {backend!r}: expected "pkcs12" or "pkcs11"')


def _required(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if not value:
        raise ValueError(f'The signing settings need "{key}" for the {config["backend"]} backend')
    return str(value)


# --- signing ------------------------------------------------------------------------------


def sign_pdf(
    pdf: bytes,
    signer: signers.Signer,
    *,
    box: tuple[float, float, float, float],
    page: int = 0,
    signer_name: str,
    reason: str,
    location: str,
    signed_at: dt.datetime | None = None,
) -> bytes:
    """`pdf` with a PAdES signature by `signer` appended, shown at `box` (PDF points, origin
    bottom-left) on `page` (from 0) as a stamp with the name, the time, the reason and the
    place.

    The stamp shows `signed_at` (default: now, in the server's time zone); the signature's
    own signing time is taken by pyHanko a moment later, within the same second or so.
    """
    signed_at = signed_at or dt.datetime.now().astimezone()
    x1, y1, x2, y2 = box
    stamp_pdf = render_signature_stamp(
        [signer_name, signed_at.strftime("%Y-%m-%d %H:%M:%S %Z").strip(), reason, location],
        width=abs(x2 - x1),
        height=abs(y2 - y1),
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location,
        name=signer_name,
        md_algorithm="sha256",
    )
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=signer,
        stamp_style=StaticStampStyle(
            background=_ImportedPage(stamp_pdf), border_width=0, background_layout=_STAMP_LAYOUT
        ),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=SIGNATURE_FIELD,
            on_page=page,
            box=(round(x1), round(y1), round(x2), round(y2)),
        ),
    )
    output = BytesIO()
    pdf_signer.sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf), strict=False), output=output)
    return output.getvalue()


# The stamp is drawn at the size of the box: placed as it is, not centred in a margin.
_STAMP_LAYOUT = SimpleBoxLayoutRule(
    x_align=AxisAlignment.ALIGN_MIN,
    y_align=AxisAlignment.ALIGN_MIN,
    margins=Margins(),
    inner_content_scaling=InnerScaling.NO_SCALING,
)


class _ImportedPage(PdfContent):
    """The first page of a PDF held in memory, drawn as a form XObject (pyHanko's own
    `ImportedPdfPage` reads a file by name)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobject = writer.import_page_as_xobject(PdfFileReader(BytesIO(self.pdf)), page_ix=0)
        self.resources.xobject["/SevaStamp"] = xobject
        x1, y1, x2, y2 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return b"/SevaStamp Do"


# --- validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    intact: bool  # the signed bytes are unchanged, and nothing but signatures came after
    trusted: bool  # the certificate chains to one of the trust roots given
    signer_name: str  # the signing certificate's common name
    signed_at: dt.datetime | None  # the time the signer's software reported


def validate_pdf(pdf: bytes, trust_roots: Sequence[x509.Certificate]) -> SignatureCheck:
    """Check the last signature of `pdf` offline against `trust_roots`.

    A damaged or changed file gives `intact=False`; ValueError only when the file has no
    signature at all.
    """
    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        embedded = reader.embedded_signatures
    except Exception:
        # A file too damaged to read is, for whoever holds it, a document that was changed.
        return SignatureCheck(intact=False, trusted=False, signer_name="", signed_at=None)
    if not embedded:
        raise ValueError("The document has no digital signature")
    signature = embedded[-1]
    context = ValidationContext(
        trust_roots=[_asn1_certificate(root) for root in trust_roots],
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        status = _validated(signature, context)
    except Exception:
        return SignatureCheck(
            intact=False,
            trusted=False,
            signer_name=_common_name(signature.signer_cert),
            signed_at=None,
        )
    unchanged_since = status.coverage == SignatureCoverageLevel.ENTIRE_FILE or (
        status.modification_level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
    )
    intact = bool(status.intact and status.valid and unchanged_since)
    return SignatureCheck(
        intact=intact,
        trusted=bool(intact and status.trusted),
        signer_name=_common_name(status.signing_cert),
        signed_at=status.signer_reported_dt,
    )


def _validated(signature: Any, context: ValidationContext) -> Any:
    """pyHanko's validation, which runs an event loop of its own: in a thread of its own
    where this one already runs a loop (an async view, a browser test's driver), or it would
    fail there and a genuine document would read as changed."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return validate_pdf_signature(signature, signer_validation_context=context)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            validate_pdf_signature, signature, signer_validation_context=context
        ).result()


def load_trust_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    """The certificates in the PEM (or DER) files at `paths`."""
    roots: list[x509.Certificate] = []
    for path in paths:
        data = Path(path).read_bytes()
        if b"-----BEGIN CERTIFICATE-----" in data:
            roots.extend(x509.load_pem_x509_certificates(data))
        else:
            roots.append(x509.load_der_x509_certificate(data))
    return roots


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _common_name(certificate: asn1_x509.Certificate | None) -> str:
    if certificate is None:
        return ""
    return str(certificate.subject.native.get("common_name", ""))


# --- the DEMO certifying authority --------------------------------------------------------

# ECDSA P-256: signs in a fraction of a millisecond and makes the smallest signatures; every
# PAdES validator (Acrobat, pyHanko, EU DSS) accepts it.
_CURVE = ec.SECP256R1()


def make_demo_ca(directory: Path) -> None:
    """Write a DEMO root certificate and its key to `directory` (kept if already there)."""
    directory = Path(directory)
    with _demo_lock(directory):
        _make_demo_ca(directory)


def _make_demo_ca(directory: Path) -> None:
    certificate_path = directory / DEMO_CA_CERTIFICATE
    key_path = directory / DEMO_CA_KEY
    if certificate_path.exists() and key_path.exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(_CURVE)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_private(certificate_path, certificate.public_bytes(serialization.Encoding.PEM))


def issue_demo_certificate(
    directory: Path, *, username: str, full_name: str, passphrase: bytes | None
) -> Path:
    """Write `<directory>/<username>.p12`: a DEMO document-signing key and certificate for
    `full_name`, issued by the demo CA in `directory` (kept if already there)."""
    directory = Path(directory)
    if not _is_plain_name(username):
        raise ValueError(f"Not a username that can name a file: {username!r}")
    with _demo_lock(directory):
        return _issue_demo_certificate(
            directory, username=username, full_name=full_name, passphrase=passphrase
        )


def _issue_demo_certificate(
    directory: Path, *, username: str, full_name: str, passphrase: bytes | None
) -> Path:
    path = directory / f"{username}.p12"
    if path.exists():
        return path
    _make_demo_ca(directory)
    ca_certificate = x509.load_pem_x509_certificate((directory / DEMO_CA_CERTIFICATE).read_bytes())
    ca_key = serialization.load_pem_private_key(
        (directory / DEMO_CA_KEY).read_bytes(), password=None
    )
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(_CURVE)
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, full_name),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANISATION),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                ]
            )
        )
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    _write_private(
        path,
        pkcs12.serialize_key_and_certificates(
            name=username.encode("utf-8"),
            key=key,
            cert=certificate,
            cas=[ca_certificate],
            encryption_algorithm=encryption,
        ),
    )
    return path


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by its owner only, whole or not at all (a reader never sees
    half a file: it is written beside and renamed into place)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(partial, path)


@contextmanager
def _demo_lock(directory: Path) -> Iterator[None]:
    """One maker of demo keys at a time, across threads and processes (two workers signing
    first for the same officer): the CA's key and certificate are made as a pair."""
    directory.mkdir(parents=True, exist_ok=True)
    with _LOCAL_LOCK, open(directory / ".demo-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_LOCAL_LOCK = threading.RLock()


def _is_plain_name(username: str) -> bool:
    return bool(username) and "/" not in username and "\\" not in username and username[0] != "."
