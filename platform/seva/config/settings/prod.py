"""Production: no default secret, no default hosts, PostgreSQL and Redis required."""

from django.core.exceptions import ImproperlyConfigured

from ..sentry import sentry_start
from ..storage import s3_storage_from_environ
from .base import *  # noqa: F403
from .base import (
    _PAYMENT_GATEWAY_VARIABLES,
    DATABASES,
    INSTALLED_APPS,
    cache_from_url,
    env_bool,
    env_list,
    payment_gateways_from_environ,
)


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()  # noqa: F405
    if not value:
        raise ImproperlyConfigured(f"Production settings need the environment variable {name}.")
    return value


# ------------------------------------------------------------------------------
# Core: fail fast rather than run with a guessable key or an open Host header
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
# Former keys, newest first, still accepted while what they signed runs out (sessions, API
# tokens' password fingerprints): rotating SECRET_KEY signs no one out (docs/operations.md).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production settings need ALLOWED_HOSTS (comma-separated).")

# ------------------------------------------------------------------------------
# The product only: demo data, its roster and the benchmarks are not installed
# ------------------------------------------------------------------------------
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "seva.demo"]
# Documents are signed with the state's real keys (PKCS#12 files or a PKCS#11 token/HSM),
# never with a demo certifying authority made on the fly.
SEVA_DOCUMENT_DEMO_SIGNING = False

# ------------------------------------------------------------------------------
# Real parts only: the embedded SQLite and filesystem broker are for demos
# ------------------------------------------------------------------------------
_required("DATABASE_URL")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")
# Each web thread and worker keeps its connection for a minute instead of opening one a
# request (a connection costs a few milliseconds and a process on the database server), and
# checks it before reuse, so a restarted database costs one failed check, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "60"))  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")

# ------------------------------------------------------------------------------
# One Redis cache for every process: limits kept in a process's memory are multiplied by
# the number of processes and forgotten on every restart.
# ------------------------------------------------------------------------------
CACHES = {"default": cache_from_url(_required("SEVA_CACHE_URL"))}

# ------------------------------------------------------------------------------
# Security
# ------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers ask for health on the node itself, over plain HTTP: answered, not redirected.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))  # noqa: F405
# Every host under Seva's own (e.g. *.seva.haryana.gov.in) is served over HTTPS too. The
# header applies to the host that sends it and the hosts below it, never to haryana.gov.in.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is a decision about the whole registrable domain (only an apex domain can be
# submitted, and leaving the list takes months): the state's web team takes it, not this
# application. Off unless they ask, and the deployment check that nudges towards it is
# silenced for that reason (docs/security.md).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# ------------------------------------------------------------------------------
# Files: uploads and signed documents in a private bucket that every node shares (SEVA_S3_*,
# seva.config.storage; docs/operations.md "Object storage"). Nothing a request or a task
# keeps is written to the node's disk: an upload too large for memory, or a file read back,
# passes through the temporary folder (TMPDIR) only.
# ------------------------------------------------------------------------------
STORAGES = {
    "default": s3_storage_from_environ(os.environ),  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# A document in Wagtail's own library is streamed through Wagtail's permission check, never
# a redirect to the bucket.
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# ------------------------------------------------------------------------------
# Payments: off until the state has a gateway (SEVA_PAYMENTS_ENABLED=1); until then fees are
# taken at the service centre's counter. On, every credential of each gateway named (by its
# URL) is required, and none defaults to the demo's; a credential given while payments are
# off, or without its gateway's URL, is a mistake and stops the start (docs/payments.md).
# ------------------------------------------------------------------------------
SEVA_PAYMENTS_ENABLED = env_bool("SEVA_PAYMENTS_ENABLED", False)
_payment_variables_given = [
    name
    for names in _PAYMENT_GATEWAY_VARIABLES.values()
    for name in names
    if os.environ.get(name, "").strip()  # noqa: F405
]
if not SEVA_PAYMENTS_ENABLED and _payment_variables_given:
    raise ImproperlyConfigured(
        f"{', '.join(_payment_variables_given)} given while SEVA_PAYMENTS_ENABLED is off: set "
        "SEVA_PAYMENTS_ENABLED=1 to take fees online, or remove them."
    )
if SEVA_PAYMENTS_ENABLED:
    _gateway_urls = [names[0] for names in _PAYMENT_GATEWAY_VARIABLES.values()]
    if not any(name in _payment_variables_given for name in _gateway_urls):
        raise ImproperlyConfigured(
            "SEVA_PAYMENTS_ENABLED is on but no gateway is named: set SEVA_PAYMENT_URL (the "
            "online gateway) and/or SEVA_CHALLAN_BANK_URL (e-challans at a bank)."
        )
    for _url, *_credentials in _PAYMENT_GATEWAY_VARIABLES.values():
        if _url in _payment_variables_given:
            if not os.environ[_url].strip().startswith("https://"):  # noqa: F405
                raise ImproperlyConfigured(f"{_url} must be an https:// address.")
            for _name in _credentials:
                _required(_name)
        elif _stray := [n for n in _credentials if n in _payment_variables_given]:
            raise ImproperlyConfigured(f"{', '.join(_stray)} given without {_url}.")
SEVA_PAYMENT_GATEWAYS = (
    payment_gateways_from_environ(os.environ) if SEVA_PAYMENTS_ENABLED else {}  # noqa: F405
)

# ------------------------------------------------------------------------------
# Demo-only features stay out: the demo SMS box shows every sign-in code to anyone
# ------------------------------------------------------------------------------
if SEVA_DEMO_SMS_BOX:  # noqa: F405
    raise ImproperlyConfigured(
        "SEVA_DEMO_SMS_BOX is on: the demo SMS box shows every sign-in code and must never "
        "run in production. Unset SEVA_DEMO_SMS_BOX."
    )

# ------------------------------------------------------------------------------
# Logs, metrics and errors (ADR 0022, docs/operations.md)
# ------------------------------------------------------------------------------
# JSON lines for the log collector, unless the operator asks for text.
SEVA_LOG_FORMAT = os.environ.get("SEVA_LOG_FORMAT", "json").strip().lower()  # noqa: F405
if SEVA_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("SEVA_LOG_FORMAT must be text or json.")
LOGGING["handlers"]["console"]["formatter"] = SEVA_LOG_FORMAT  # noqa: F405
# Sentry, only when its DSN is set: no personal data (seva.config.sentry).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "").strip()  # noqa: F405
if SENTRY_DSN:
    try:
        _traces = float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)  # noqa: F405
    except ValueError:
        _traces = -1.0
    if not 0 <= _traces <= 1:
        raise ImproperlyConfigured("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1.")
    sentry_start(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),  # noqa: F405
        release=os.environ.get("SENTRY_RELEASE") or None,  # noqa: F405
        traces_sample_rate=_traces,
    )
