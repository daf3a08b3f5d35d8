"""pytest: the database comes from DATABASE_URL (PostgreSQL in CI, SQLite otherwise)."""

from .base import *  # noqa: F403
from .base import _DEMO_PAYMENT_ENVIRON, payment_gateways_from_environ

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = "test-only-not-a-secret"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# ------------------------------------------------------------------------------
# Speed: hashing demo passwords with PBKDF2 would dominate the suite
# ------------------------------------------------------------------------------
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# ------------------------------------------------------------------------------
# Files the tests write stay out of the working tree
# ------------------------------------------------------------------------------
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
# The demo certifying authority and officers' keys the tests sign with (made on first use).
SEVA_DOCUMENT_SIGNING_DIR = VAR_DIR / "test-signing"  # noqa: F405
SEVA_DOCUMENT_SIGNER = {**SEVA_DOCUMENT_SIGNER, "directory": str(SEVA_DOCUMENT_SIGNING_DIR)}  # noqa: F405
SEVA_DOCUMENT_TRUST_ROOTS = [SEVA_DOCUMENT_SIGNING_DIR / "demo-ca.pem"]
SEVA_QR_KEY_DIR = SEVA_DOCUMENT_SIGNING_DIR
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# ------------------------------------------------------------------------------
# Celery: tasks run inline unless a test starts a real worker (tests/notifications)
# ------------------------------------------------------------------------------
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# ------------------------------------------------------------------------------
# Payments: the demo's credentials, at an address where nothing listens. A test that pays
# starts the fake gateway on a free port and points these at it (`payment_gateway`,
# tests/fakegateway.py); one that forgets gets a GatewayError, never the answer of a
# `make run` gateway left on port 8765.
# ------------------------------------------------------------------------------
SEVA_PAYMENTS_ENABLED = True
SEVA_PAYMENT_GATEWAYS = payment_gateways_from_environ(
    {"SEVA_PAYMENT_URL": "http://127.0.0.1:9", "SEVA_CHALLAN_BANK_URL": "http://127.0.0.1:9"},
    _DEMO_PAYMENT_ENVIRON,
)
