"""String formats a form may declare. Only these are accepted; each is checked on submit.

jsonschema ignores a format it does not know, so an unknown one would silently validate
nothing: the linter refuses any name not registered here.
"""

import datetime as dt
import ipaddress
import re

from jsonschema import FormatChecker

FORMAT_CHECKER = FormatChecker(formats=())

# [0-9], never \d: Python's \d also matches Devanagari and other digits. Every pattern is
# used with fullmatch: `$` alone would let a trailing newline through.
MOBILE_RE = re.compile(r"[6-9][0-9]{9}")
PINCODE_RE = re.compile(r"[1-9][0-9]{5}")
AADHAAR_RE = re.compile(r"[2-9][0-9]{11}")
DOCUMENT_RE = re.compile(r"doc_[0-9a-f]{32}")
JURISDICTION_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 5321 mailbox: a dot-atom or quoted local part; a host name or an address literal.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
EMAIL_LOCAL_RE = re.compile(rf'{_ATEXT}(?:\.{_ATEXT})*|"(?:[^"\\\r\n]|\\.)*"')
HOSTNAME_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)

# Verhoeff check-digit tables (dihedral group D5), as used by UIDAI for Aadhaar.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def verhoeff_valid(number: str) -> bool:
    check = 0
    for position, digit in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def verhoeff_check_digit(number: str) -> str:
    """The digit to append to `number` so that the whole passes the Verhoeff check."""
    check = 0
    for position, digit in enumerate(reversed(number)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[(position + 1) % 8][int(digit)]]
    return str(_VERHOEFF_INV[check])


def mask_aadhaar(number: str) -> str:
    """Only the last four digits are ever stored or shown."""
    return "XXXXXXXX" + number[-4:]


def is_masked_aadhaar(value: str) -> bool:
    return bool(re.fullmatch(r"XXXXXXXX[0-9]{4}", value))


@FORMAT_CHECKER.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_RE.fullmatch(value):
        return False
    dt.date.fromisoformat(value)
    return True


def _email_domain_ok(domain: str) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        try:
            if literal.startswith("IPv6:"):
                ipaddress.IPv6Address(literal[5:])
            else:
                ipaddress.IPv4Address(literal)
        except ValueError:
            return False
        return True
    return len(domain) <= 253 and bool(HOSTNAME_RE.fullmatch(domain))


@FORMAT_CHECKER.checks("email")
def is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    local, at, domain = value.rpartition("@")
    return bool(at) and bool(EMAIL_LOCAL_RE.fullmatch(local)) and _email_domain_ok(domain)


@FORMAT_CHECKER.checks("mobile")
def is_mobile(value: object) -> bool:
    return not isinstance(value, str) or bool(MOBILE_RE.fullmatch(value))


@FORMAT_CHECKER.checks("pincode")
def is_pincode(value: object) -> bool:
    return not isinstance(value, str) or bool(PINCODE_RE.fullmatch(value))


@FORMAT_CHECKER.checks("aadhaar")
def is_aadhaar(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(AADHAAR_RE.fullmatch(value)) and verhoeff_valid(value)


@FORMAT_CHECKER.checks("document")
def is_document_token(value: object) -> bool:
    return not isinstance(value, str) or bool(DOCUMENT_RE.fullmatch(value))


@FORMAT_CHECKER.checks("jurisdiction")
def is_jurisdiction_code(value: object) -> bool:
    return not isinstance(value, str) or bool(JURISDICTION_RE.fullmatch(value))


SUPPORTED_FORMATS = frozenset(FORMAT_CHECKER.checkers)
