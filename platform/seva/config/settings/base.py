"""Settings shared by every environment. Overlays: dev, test, prod.

Everything that differs between a laptop and production comes from the environment;
the defaults here are the embedded ones that let `make run` start on a bare machine.
"""

import datetime as dt
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, REPORT_SAMPLE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# platform/seva/config/settings/base.py -> repository root is four levels up.
PACKAGE_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = PACKAGE_DIR.parents[1]
VAR_DIR = Path(os.environ.get("SEVA_VAR_DIR", REPO_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    try:
        number = int(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number of at least {minimum}.")
    return number


def env_time(name: str, default: str) -> dt.time:
    """A time of day written HH:MM."""
    value = os.environ.get(name, default)
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a time of day like 18:30, not {value!r}."
        ) from None


# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
ROOT_URLCONF = "seva.config.urls"
WSGI_APPLICATION = "seva.config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Applications
# ------------------------------------------------------------------------------
SEVA_APPS = [
    "seva.core",
    "seva.org",
    "seva.definitions",
    "seva.formschemas",
    "seva.workflows",
    "seva.citizens",
    "seva.applications",
    "seva.documents",
    "seva.payments",
    "seva.notifications",
    "seva.queues",
    "seva.dashboards",
    "seva.portal",
    "seva.channels",
    "seva.accounts",
    "seva.api",
    # Demo data, the demo roster, the data generator and the benchmarks (seed_demo,
    # generate_applications, queue_benchmark, dashboard_benchmark): not the product, and left
    # out by the production settings.
    "seva.demo",
]

WAGTAIL_APPS = [
    "wagtail.contrib.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]

THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served as our own static files
    "django_otp",  # officers' second factor (seva.accounts)
    "django_otp.plugins.otp_totp",
    "axes",  # failed sign-ins counted, lock-outs (see "Sign-in lock-outs" below)
    "csp",  # the Content-Security-Policy header (see its block below)
]

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

INSTALLED_APPS = SEVA_APPS + WAGTAIL_APPS + THIRD_PARTY_APPS + DJANGO_APPS

MIDDLEWARE = [
    # Outermost: every log line of the request carries its id, and the time counted for
    # /metrics includes the other middleware's (ADR 0022).
    "seva.core.requestid.RequestIdMiddleware",
    "seva.core.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A NUL or a lone surrogate in the path, the query or a form field: 400 before any view.
    "seva.core.oddinput.OddInputMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "seva.portal.themes.ThemeMiddleware",
    # Last: turns a sign-in refused for a lock-out into the page that says so.
    "axes.middleware.AxesMiddleware",
]

# Templates: the active theme's overrides first (themes/<name>/templates), then the apps'.
# The theme is part of the cache key, so several sites can share one process.
_TEMPLATE_LOADERS = [
    "seva.portal.themes.ThemeLoader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "seva.portal.context_processors.portal",
            ],
            "loaders": [("seva.portal.themes.CachedLoader", _TEMPLATE_LOADERS)],
        },
    },
]

# ------------------------------------------------------------------------------
# Database: embedded SQLite unless DATABASE_URL says otherwise (PostgreSQL in CI/prod)
# ------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'seva.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Wait for the writer instead of failing at once when the web server and the
    # Celery worker touch the embedded database together.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20


# ------------------------------------------------------------------------------
# Cache: where every limit counts (OTP sends, public tracking, the API's throttles, partner
# keys, sign-in lock-outs). In production one Redis for every process and worker
# (SEVA_CACHE_URL=redis://... or rediss://...); the embedded default, this process's
# memory, is enough for `make run`, one process.
# ------------------------------------------------------------------------------
def cache_from_url(url: str) -> dict:
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "seva"}
    if urlsplit(url).scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured("SEVA_CACHE_URL must be a redis:// or rediss:// URL.")
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "seva",
        # A Redis that does not answer fails the request in seconds, not minutes.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }


CACHES = {"default": cache_from_url(os.environ.get("SEVA_CACHE_URL", "").strip())}
# How many reverse proxies in front of the application append the client's address to
# X-Forwarded-For. 0: the address is the connection's own, and the header is not trusted
# (a client could write any address there and escape every per-address limit).
SEVA_TRUSTED_PROXY_COUNT = env_int("SEVA_TRUSTED_PROXY_COUNT", 0)

# ------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"

# ------------------------------------------------------------------------------
# Sign-in lock-outs (django-axes): failed passwords are counted in the cache per account and
# per address, each against its own limit, on every way in that checks a password
# (the workspace's and the Django admin's sign-in pages, POST /api/v1/auth/token/, any view
# that calls authenticate()). Past either limit even the right password is refused until
# the cool-off has passed since the last try. seva.accounts.signin_limits.
# ------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
SEVA_LOGIN_FAILURES_PER_ACCOUNT = env_int("SEVA_LOGIN_FAILURES_PER_ACCOUNT", 5, minimum=1)
# Higher: a district office signs in from behind one address.
SEVA_LOGIN_FAILURES_PER_ADDRESS = env_int("SEVA_LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("SEVA_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_HANDLER = "seva.accounts.signin_limits.AccountAndAddressHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # what axes logs; the handler counts
AXES_FAILURE_LIMIT = SEVA_LOGIN_FAILURES_PER_ACCOUNT  # reported by axes; the handler applies both
AXES_CLIENT_IP_CALLABLE = "seva.accounts.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "seva.accounts.signin_limits.lockout_response"
AXES_RESET_ON_SUCCESS = True  # the account's count, not the address's (the handler's choice)
AXES_ENABLE_ADMIN = False  # the counts live in the cache: axes' own tables stay empty

# ------------------------------------------------------------------------------
# Internationalisation: the state works in English and Hindi, on Indian time
# ------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", _("Hindi"))]
TIME_ZONE = "Asia/Kolkata"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

# ------------------------------------------------------------------------------
# Static and uploaded files (no CDN: every asset is served from the project)
# ------------------------------------------------------------------------------
SEVA_THEMES_DIR = REPO_DIR / "themes"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
WHITENOISE_USE_FINDERS = True  # serve app assets without collectstatic in dev and tests
# Each theme's static/ folder is served under /static/themes/<name>/.
STATICFILES_DIRS = [
    (f"themes/{p.name}", str(p / "static"))
    for p in sorted(SEVA_THEMES_DIR.glob("*"))
    if (p / "static").is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Uploads: small files stay in memory, larger ones stream to a temporary file; none may pass
# SEVA_MAX_UPLOAD_BYTES (each form field has its own, smaller, limit).
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "seva.applications.documents.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
SEVA_MAX_UPLOAD_BYTES = 5 * 1024 * 1024

# ------------------------------------------------------------------------------
# Wagtail
# ------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Seva"
WAGTAILADMIN_BASE_URL = os.environ.get("SEVA_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "jpg", "jpeg", "png"]
WAGTAIL_I18N_ENABLED = False

# ------------------------------------------------------------------------------
# Content-Security-Policy (django-csp), the same in every environment so that the browser
# suite, which runs the dev settings, sees what production sends (docs/security.md).
# Nothing from outside the project; scripts and styles only from our own files, or inline
# with the response's nonce ({{ request.csp_nonce }}); no style="" or on...="" attributes.
# The middleware sits after WhiteNoise: static files carry no policy of their own.
# ------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        # 'report-sample': a report carries the first 40 characters of what was blocked.
        "script-src": [SELF, NONCE, REPORT_SAMPLE],
        "style-src": [SELF, NONCE, REPORT_SAMPLE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],  # Wagtail's preview frames our own pages
        "report-uri": "/csp-report/",  # logged by seva.portal.csp_reports
    },
}
# Avatars are Wagtail's own picture, never fetched from gravatar.com with the officer's
# hashed e-mail; and the admin does not ask releases.wagtail.org for a newer version.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# ------------------------------------------------------------------------------
# Django REST framework
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "seva.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "seva.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON with a NUL, a lone surrogate or nesting no form needs answers 400 (seva.core.oddinput).
    "DEFAULT_PARSER_CLASSES": [
        "seva.api.parsers.CheckedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per signed-in user, and per address for everyone else; over the rate, 429.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("SEVA_API_ANON_RATE", "120/minute"),
        "user": os.environ.get("SEVA_API_USER_RATE", "600/minute"),
    },
    # The anonymous throttle's address, as seva.accounts.ratelimit.client_address finds it.
    "NUM_PROXIES": SEVA_TRUSTED_PROXY_COUNT,
}

# ------------------------------------------------------------------------------
# API tokens (seva.api.models.ApiToken): good for this many days, then sign in again
# ------------------------------------------------------------------------------
SEVA_API_TOKEN_DAYS = env_int("SEVA_API_TOKEN_DAYS", 30, minimum=1)

# The OpenAPI description at /api/schema/ and Swagger UI at /api/docs/ (seva.api.schema).
SPECTACULAR_SETTINGS = {
    "TITLE": "Seva API",
    "DESCRIPTION": (
        "Services, applications, officers' queues and the RTS board of Seva. Sign in with "
        "`Authorization: Token <token>` (POST a username and password to "
        "`/api/v1/auth/token/`, naming the `device`) or a browser session. A token expires "
        "(`expires_at`) and stops working when the password changes; list yours at "
        "`/api/v1/auth/tokens/`, revoke one there, and end the one you use with "
        "`POST /api/v1/auth/logout/`. Failed sign-ins are counted per account and per "
        "address: past the limit even the right password answers 429 until the time it "
        "gives. Every refusal has the body "
        '`{"detail": "...", "errors": {"field.path": ["..."]}}`, `errors` only for invalid '
        "input. Lists are paged with `page` and `page_size`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["seva.api.schema.api_v1_only"],
    # Separate request and response components: an upload's file is binary in a request.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServiceKindEnum": "seva.api.schema.SERVICE_KINDS",
        "EventKindEnum": "seva.api.schema.EVENT_KINDS",
        "ConsultationAnswerEnum": "seva.api.schema.CONSULTATION_ANSWERS",
        "ConsultationAnswerToGiveEnum": "seva.api.schema.ANSWERS_TO_GIVE",
    },
    # Swagger UI from drf-spectacular-sidecar's files, never a CDN; and no call to the
    # public validator from the page.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# ------------------------------------------------------------------------------
# E-mail (officers' alerts and digests): an SMTP relay from the environment
# ------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Seva <no-reply@seva.haryana.gov.in>")

# ------------------------------------------------------------------------------
# Celery: a broker that needs no server by default (kombu's filesystem transport);
# CELERY_BROKER_URL=redis://... in CI and production.
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost/")
# A web request handing over a task tries the broker once more, briefly, then gives up (the
# outbox sweep sends the message later); workers keep their own reconnection.
BROKER_HANDOVER_RETRY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, **BROKER_HANDOVER_RETRY}
if CELERY_BROKER_URL.startswith("filesystem"):
    # The web process and the worker exchange messages as files in one folder.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        # Its table of exchanges, which kombu would otherwise write to ./control.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
        **BROKER_HANDOVER_RETRY,
    }
CELERY_TASK_IGNORE_RESULT = True
# Handing a task over never makes a request wait for a broker that is down: it fails at once
# and the outbox sweep (below) sends the message when the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# When officers are alerted and digests go out (local time, Asia/Kolkata; also read by the
# tasks themselves, so that a late or repeated run keeps to them).
SEVA_OFFICER_ALERT_EVERY_MINUTES = 30
SEVA_OFFICER_ALERT_HOURS = (
    env_time("SEVA_OFFICER_ALERT_FROM", "09:00"),
    env_time("SEVA_OFFICER_ALERT_UNTIL", "18:00"),
)
SEVA_DIGEST_TIME = env_time("SEVA_DIGEST_TIME", "18:30")
SEVA_FEEDBACK_REQUEST_TIME = env_time("SEVA_FEEDBACK_REQUEST_TIME", "11:00")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Files past their stage deadline move up their state's escalation ladder.
    "escalate-overdue-files": {
        "task": "seva.applications.tasks.escalate_overdue",
        "schedule": 30 * 60,
    },
    # Messages handed over while the broker was down, and those waiting for a retry.
    "deliver-pending-messages": {
        "task": "seva.notifications.tasks.deliver_pending",
        "schedule": 60,
    },
    # Officers hear of new files in their queue, deadlines near and deadlines passed (the
    # task itself keeps to office hours and working days).
    "officer-alerts": {
        "task": "seva.notifications.tasks.send_officer_alerts",
        "schedule": crontab(minute=f"*/{SEVA_OFFICER_ALERT_EVERY_MINUTES}"),
    },
    # The end-of-day digest to collectors and heads of department.
    "daily-digests": {
        "task": "seva.notifications.tasks.send_daily_digests",
        "schedule": crontab(hour=SEVA_DIGEST_TIME.hour, minute=SEVA_DIGEST_TIME.minute),
    },
    # Citizens whose application was disposed of are asked to rate the service.
    "feedback-requests": {
        "task": "seva.notifications.tasks.send_feedback_requests",
        "schedule": crontab(
            hour=SEVA_FEEDBACK_REQUEST_TIME.hour, minute=SEVA_FEEDBACK_REQUEST_TIME.minute
        ),
    },
    # The dashboards' open files due yesterday join those due earlier, so that the files
    # beyond RTS are counted from a few rows (seva.dashboards.services).
    "fold-past-due": {
        "task": "seva.dashboards.tasks.fold_past_due",
        "schedule": crontab(hour=0, minute=5),
    },
    # Last month's scores and ranks are stored for good (seva.dashboards.snapshots).
    "monthly-scores": {
        "task": "seva.dashboards.tasks.snapshot_last_month",
        "schedule": crontab(day_of_month=1, hour=0, minute=30),
    },
}

# ------------------------------------------------------------------------------
# Uploads: what one person may hold, and the clean-up (issue 16, findings 8, 9 and 11;
# docs/security.md, "Uploads")
# ------------------------------------------------------------------------------
# An image whose header claims more pixels than this is refused before anything decodes it
# (50 megapixels: an A4 page scanned at 600 dpi, or a phone's largest photo). Pillow refuses
# more than 179 megapixels whatever this says.
SEVA_MAX_IMAGE_PIXELS = 50_000_000
# Uploads no application has claimed yet, per person (a citizen, an operator at a counter,
# a partner system): at most this many files and bytes. Those a live draft names count,
# and so do the others of the last SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS.
SEVA_UNCLAIMED_UPLOADS_MAX_FILES = 40
SEVA_UNCLAIMED_UPLOADS_MAX_BYTES = 40 * 1024 * 1024
# An upload no application claimed and no draft names is deleted (row and file) once it is
# this old, by the hourly task below.
SEVA_UNCLAIMED_UPLOADS_KEPT_HOURS = 24
# Files whose state's timer is due (deemed approval, deemed no objection, lapse) move on.
CELERY_BEAT_SCHEDULE["fire-timers"] = {
    "task": "seva.applications.tasks.fire_timers",
    "schedule": 15 * 60,
}
CELERY_BEAT_SCHEDULE["delete-unclaimed-uploads"] = {
    "task": "seva.applications.tasks.delete_unclaimed_uploads",
    "schedule": crontab(minute=17),
}

# ------------------------------------------------------------------------------
# Logging: every line carries the request id (seva.core.requestid), in the web process and
# in the Celery tasks the request queued; JSON lines for a log collector (SEVA_LOG_FORMAT=json,
# the production default) or text. The worker logs through this too (seva.config.celery).
# ------------------------------------------------------------------------------
SEVA_LOG_FORMAT = os.environ.get("SEVA_LOG_FORMAT", "text").strip().lower()
if SEVA_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("SEVA_LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "seva.core.requestid.RequestIdFilter"}},
    "formatters": {
        "text": {"()": "seva.core.logs.TextFormatter"},
        "json": {"()": "seva.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": SEVA_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Wagtail logs every page it creates and every background index job: too chatty for a
    # sync of hundreds of services.
    "loggers": {
        "axes": {"level": "WARNING"},  # its start-up banner on every command
        "django_tasks": {"level": "WARNING"},
        # fontTools logs every table of every font it subsets for a document's PDF.
        "fontTools": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}

# ------------------------------------------------------------------------------
# Metrics: /metrics answers Prometheus only with this bearer token, and is a 404 to anyone
# else, or to everyone while it is empty (seva.config.metrics, ADR 0022).
# ------------------------------------------------------------------------------
SEVA_METRICS_TOKEN = os.environ.get("SEVA_METRICS_TOKEN", "").strip()

# ------------------------------------------------------------------------------
# Seva
# ------------------------------------------------------------------------------
# Where the definition files live; check_definitions and sync_definitions read these.
SEVA_DEFINITIONS_ROOT = Path(os.environ.get("SEVA_DEFINITIONS_ROOT", REPO_DIR))
SEVA_SERVICE_DIR = "service_definitions"
SEVA_FORM_DIR = "form_schemas"
SEVA_WORKFLOW_DIR = "workflows_yaml"
# Every label, help text and SMS must exist in each of these languages.
SEVA_LANGUAGES = ["en", "hi"]
# First part of every reference number, e.g. HR-REV-INC-2026-000123.
SEVA_STATE_CODE = os.environ.get("SEVA_STATE_CODE", "HR")
# Weekly offs for government offices (Monday is 0). Holidays are data (org.Holiday).
SEVA_WEEKLY_OFF_DAYS = [5, 6]
# TRAI DLT: the sender's registered entity id and header, sent with every SMS.
SEVA_SMS_DLT_ENTITY_ID = os.environ.get("SEVA_SMS_DLT_ENTITY_ID", "1101000000000000001")
SEVA_SMS_SENDER_HEADER = os.environ.get("SEVA_SMS_SENDER_HEADER", "HRSEVA")
# Where SMS go (seva.notifications.backends): DemoBoxBackend keeps them in the database for
# the demo SMS box and the admin; ConsoleBackend logs them; HttpGatewayBackend posts them to
# the operator's gateway configured below.
SEVA_SMS_BACKEND = os.environ.get("SEVA_SMS_BACKEND", "seva.notifications.backends.DemoBoxBackend")
SEVA_SMS_GATEWAY = {
    "URL": os.environ.get("SEVA_SMS_GATEWAY_URL", ""),
    "USERNAME": os.environ.get("SEVA_SMS_GATEWAY_USERNAME", ""),
    "PASSWORD": os.environ.get("SEVA_SMS_GATEWAY_PASSWORD", ""),
    "TIMEOUT": float(os.environ.get("SEVA_SMS_GATEWAY_TIMEOUT", "10")),
    "ID_FIELD": os.environ.get("SEVA_SMS_GATEWAY_ID_FIELD", "message_id"),
}
# The gateway posts delivery reports to /api/v1/sms/delivery-reports/ with this token in
# X-Gateway-Token; unset, the endpoint refuses every report.
SEVA_SMS_DLR_TOKEN = os.environ.get("SEVA_SMS_DLR_TOKEN", "")
# A message the gateway could not take is retried after 30 s, 1, 2, 4 ... minutes, then failed.
SEVA_SMS_MAX_ATTEMPTS = 6
SEVA_SMS_RETRY_BASE_SECONDS = 30
# DLT rules for SMS templates (checked by check_definitions): variables per template, the
# only link prefixes a template may carry, and the most parts a message may cost.
SEVA_SMS_MAX_VARIABLES = int(os.environ.get("SEVA_SMS_MAX_VARIABLES", "3"))
SEVA_SMS_LINK_PREFIXES = env_list("SEVA_SMS_LINK_PREFIXES", "https://seva.haryana.gov.in/")
SEVA_SMS_MAX_PARTS = 3
# The demo SMS box (/demo/sms/) shows every queued SMS, OTPs included: demos only.
SEVA_DEMO_SMS_BOX = env_bool("SEVA_DEMO_SMS_BOX", False)
# SMS that are not about one application (DLT-registered like every other; `variables` name
# the values that fill the {#var#} slots, in order). Officers' queue alerts and the daily
# digest; the request to rate a service, which citizens may opt out of.
SEVA_ALERT_SMS = {
    "queue_alert": {
        "en": {
            "dlt_template_id": "1107161234500009011",
            "text": "Seva queue: {#var#} new, {#var#} nearing deadline, {#var#} past deadline. Act at https://seva.haryana.gov.in/admin/ -HRSEVA",
            "variables": ["new_count", "reminder_count", "breach_count"],
        },
        "hi": {
            "dlt_template_id": "1107161234500009012",
            "text": "सेवा कतार: {#var#} नए, {#var#} समय-सीमा के निकट, {#var#} समय-सीमा पार। https://seva.haryana.gov.in/admin/ -HRSEVA",
            "variables": ["new_count", "reminder_count", "breach_count"],
        },
    },
    "daily_digest": {
        "en": {
            "dlt_template_id": "1107161234500009021",
            "text": "Seva daily report: received {#var#}, disposed {#var#}, pending {#var#}. Details by e-mail. -HRSEVA",
            "variables": ["received", "disposed", "pending_beyond_rts"],
        },
        "hi": {
            "dlt_template_id": "1107161234500009022",
            "text": "सेवा दैनिक रिपोर्ट: प्राप्त {#var#}, निपटाए {#var#}, लंबित {#var#}। -HRSEVA",
            "variables": ["received", "disposed", "pending_beyond_rts"],
        },
    },
    "feedback_request": {
        "en": {
            "dlt_template_id": "1107161234500009031",
            "text": "Your application {#var#} for {#var#} is complete. Rate the service at https://seva.haryana.gov.in/my/ -HRSEVA",
            "variables": ["reference", "service_name"],
        },
        "hi": {
            "dlt_template_id": "1107161234500009032",
            "text": "आपका आवेदन {#var#} ({#var#}) पूरा हुआ। सेवा को https://seva.haryana.gov.in/my/ पर रेटिंग दें -HRSEVA",
            "variables": ["reference", "service_name"],
        },
    },
}
# The code a service centre's operator asks for when filing for a citizen: their consent.
# It says who files (the operator and the centre, cut to 30 characters), for which service,
# and to give it only in person. Variables: the code, "filer", the service's short name.
SEVA_CONSENT_SMS = {
    "en": {
        "dlt_template_id": "1107161234500009003",
        "text": "{#var#} is the code to let {#var#} file your application for {#var#}. Give it only in person at the counter, never on a call. -HRSEVA",
        "variables": ["otp", "filer", "service_name"],
    },
    "hi": {
        "dlt_template_id": "1107161234500009004",
        "text": "{#var#} कोड से {#var#} आपका {#var#} आवेदन भरेंगे। यह कोड केवल काउंटर पर स्वयं बताएँ, फ़ोन पर नहीं। -HRSEVA",
        "variables": ["otp", "filer", "service_name"],
    },
}
# One-time passwords for citizen sign-in.
SEVA_OTP_VALID_SECONDS = 5 * 60
SEVA_OTP_MAX_WRONG_TRIES = 5
SEVA_OTP_LOCKOUT_SECONDS = 30 * 60
SEVA_OTP_RESEND_AFTER_SECONDS = 60
SEVA_OTP_MAX_SENDS_PER_HOUR = 5
# The OTP SMS, as registered on DLT (one template per language).
SEVA_OTP_SMS = {
    "en": {
        "dlt_template_id": "1107161234500009001",
        "text": "{#var#} is your OTP to sign in to Seva. It is valid for 5 minutes. Do not share it. -HRSEVA",
    },
    "hi": {
        "dlt_template_id": "1107161234500009002",
        "text": "सेवा में साइन इन हेतु आपका ओटीपी {#var#} है। यह 5 मिनट तक मान्य है। इसे किसी से साझा न करें। -HRSEVA",
    },
}

# ------------------------------------------------------------------------------
# Officers' second factor (seva.accounts; docs/security.md)
# ------------------------------------------------------------------------------
# Who must give one is decided per role (roles.yaml `second_factor`, by default every role
# that can approve or reject); the state admin (a superuser) must too unless this is off.
SEVA_SECOND_FACTOR_FOR_SUPERUSERS = env_bool("SEVA_SECOND_FACTOR_FOR_SUPERUSERS", True)
# How long a password, once accepted, waits for the code (enrolling included).
SEVA_SECOND_FACTOR_PENDING_SECONDS = 10 * 60
# Wrong codes an officer may give (across devices and sessions) before every code, the right
# one too, is refused for the lock-out; counted in the database under a row lock.
SEVA_SECOND_FACTOR_MAX_WRONG_CODES = 5
SEVA_SECOND_FACTOR_LOCKOUT_SECONDS = 15 * 60
# SMS codes: valid 5 minutes, a new one after a minute, at most 5 an hour per officer.
SEVA_SECOND_FACTOR_SMS_VALID_SECONDS = 5 * 60
SEVA_SECOND_FACTOR_SMS_RESEND_SECONDS = 60
SEVA_SECOND_FACTOR_SMS_PER_HOUR = 5
# The sign-in code SMS, as registered on DLT (one template per language; one {#var#}).
SEVA_SECOND_FACTOR_SMS = {
    "en": {
        "dlt_template_id": "1107161234500009061",
        "text": "{#var#} is your code to sign in to the Seva staff workspace. It is valid for 5 minutes. Do not share it. -HRSEVA",
    },
    "hi": {
        "dlt_template_id": "1107161234500009062",
        "text": "सेवा स्टाफ़ कार्यक्षेत्र में साइन इन हेतु आपका कोड {#var#} है। यह 5 मिनट तक मान्य है। इसे किसी से साझा न करें। -HRSEVA",
    },
}
# Authenticator apps name the account "Seva: <username>". django-otp's own back-off per device
# is off: the limit above, per officer and across devices, replaces it.
OTP_TOTP_ISSUER = "Seva"
OTP_TOTP_THROTTLE_FACTOR = 0

# ------------------------------------------------------------------------------
# Issued documents: certificates, orders, their signatures and verification (docs/documents.md)
# ------------------------------------------------------------------------------
# The printed authority line of every document, in each language.
SEVA_DOCUMENT_AUTHORITY = {"en": "Government of Haryana", "hi": "हरियाणा सरकार"}
# Who signs: officers' keys in PKCS#12 files (<directory>/<username>.p12), or on a PKCS#11
# token or HSM (key and certificate labelled with the officer's username).
SEVA_DOCUMENT_SIGNING_DIR = Path(
    os.environ.get("SEVA_DOCUMENT_SIGNING_DIR", str(VAR_DIR / "signing"))
)
SEVA_DOCUMENT_SIGNER = {
    "backend": os.environ.get("SEVA_DOCUMENT_SIGNER", "pkcs12"),
    "directory": str(SEVA_DOCUMENT_SIGNING_DIR),
    "passphrase": os.environ.get("SEVA_DOCUMENT_SIGNER_PASSPHRASE", ""),
    "module": os.environ.get("SEVA_PKCS11_MODULE", ""),
    "token_label": os.environ.get("SEVA_PKCS11_TOKEN", ""),
    "pin": os.environ.get("SEVA_PKCS11_PIN", ""),
}
# pyHanko imports cryptography's DSA classes, which it marks deprecated on every start; Seva
# never signs with DSA.
warnings.filterwarnings("ignore", message="DSA is deprecated")
# The demo only: an officer with no key gets one from a demo certifying authority, made on
# first use (every certificate says DEMO). Production turns this off and installs real keys.
SEVA_DOCUMENT_DEMO_SIGNING = env_bool("SEVA_DOCUMENT_DEMO_SIGNING", True)
# The certifying authorities whose certificates a signature is checked against.
SEVA_DOCUMENT_TRUST_ROOTS = [
    Path(p)
    for p in env_list("SEVA_DOCUMENT_TRUST_ROOTS", str(SEVA_DOCUMENT_SIGNING_DIR / "demo-ca.pem"))
]
# The key that signs the QR codes' payloads (its public half is published at /verify/keys/).
SEVA_QR_KEY_DIR = Path(os.environ.get("SEVA_QR_KEY_DIR", str(SEVA_DOCUMENT_SIGNING_DIR)))
# The days a citizen has to appeal a decision, printed on every rejection order.
SEVA_APPEAL_DAYS = env_int("SEVA_APPEAL_DAYS", 30, minimum=1)
# A document not yet signed is tried again by this sweep (a worker or broker that was down).
CELERY_BEAT_SCHEDULE["issue-documents"] = {
    "task": "seva.documents.tasks.issue_pending",
    "schedule": 5 * 60,
}

# ------------------------------------------------------------------------------
# Payments: the gateways fees are paid through (seva.payments.gateways; docs/payments.md)
# ------------------------------------------------------------------------------
# Each gateway under the key Seva's payments record: "online" (the state's payment gateway or
# aggregator: redirect, signed callback, status query, refunds, a daily settlement file) and
# "challan" (an e-challan paid at a bank's counter, settled from the bank's daily file).
# Credentials come from the environment. Here, for `make run`, every one defaults to the demo's
# fake gateway on loopback (`manage.py fake_gateway`, which make run starts); the production
# settings have no default and require them once SEVA_PAYMENTS_ENABLED is on (prod.py).
_DEMO_PAYMENT_ENVIRON = {
    "SEVA_PAYMENT_URL": "http://127.0.0.1:8765",
    "SEVA_PAYMENT_MERCHANT_ID": "SEVADEMO01",
    "SEVA_PAYMENT_SECRET": "demo-gateway-secret-not-a-secret",
    "SEVA_PAYMENT_GATEWAY_NAME": "Demo payment gateway",
    "SEVA_PAYMENT_GATEWAY_NAME_HI": "डेमो भुगतान गेटवे",
    "SEVA_CHALLAN_BANK_URL": "http://127.0.0.1:8765",
    "SEVA_CHALLAN_BANK_KEY": "demo-bank-key-not-a-secret",
    "SEVA_CHALLAN_BANK_NAME": "Demo Bank",
    "SEVA_CHALLAN_BANK_NAME_HI": "डेमो बैंक",
}
# Each gateway and its credentials: a gateway is there when its URL is given.
_PAYMENT_GATEWAY_VARIABLES = {
    "online": ("SEVA_PAYMENT_URL", "SEVA_PAYMENT_MERCHANT_ID", "SEVA_PAYMENT_SECRET"),
    "challan": ("SEVA_CHALLAN_BANK_URL", "SEVA_CHALLAN_BANK_KEY"),
}


def payment_gateways_from_environ(
    environ: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> dict[str, dict]:
    """SEVA_PAYMENT_GATEWAYS from the environment's variables, each missing one taken from
    `defaults` (the demo's, or none)."""

    def value(name: str) -> str:
        return (environ.get(name) or "").strip() or (defaults or {}).get(name, "")

    def names(variable: str, english: str, hindi: str) -> dict[str, str]:
        """The name people see; unnamed, what it is ("Online payment"), in both languages."""
        if not value(variable):
            return {"en": english, "hi": hindi}
        return {"en": value(variable), "hi": value(f"{variable}_HI") or value(variable)}

    timeout_text = value("SEVA_PAYMENT_TIMEOUT") or "10"
    if not timeout_text.isdigit() or int(timeout_text) < 1:
        raise ImproperlyConfigured("SEVA_PAYMENT_TIMEOUT must be a whole number of seconds.")
    timeout = int(timeout_text)
    gateways: dict[str, dict] = {}
    if value("SEVA_PAYMENT_URL"):
        gateways["online"] = {
            "ADAPTER": value("SEVA_PAYMENT_ADAPTER") or "redirect_checksum",
            "NAME": names("SEVA_PAYMENT_GATEWAY_NAME", "Online payment", "ऑनलाइन भुगतान"),
            "URL": value("SEVA_PAYMENT_URL"),
            "MERCHANT_ID": value("SEVA_PAYMENT_MERCHANT_ID"),
            "SECRET": value("SEVA_PAYMENT_SECRET"),
            "TIMEOUT": timeout,
        }
    if value("SEVA_CHALLAN_BANK_URL"):
        gateways["challan"] = {
            "ADAPTER": value("SEVA_CHALLAN_BANK_ADAPTER") or "bank_challan",
            "NAME": names("SEVA_CHALLAN_BANK_NAME", "Bank", "बैंक"),
            "URL": value("SEVA_CHALLAN_BANK_URL"),
            "BANK_KEY": value("SEVA_CHALLAN_BANK_KEY"),
            "TIMEOUT": timeout,
        }
    return gateways


# Off (SEVA_PAYMENTS_ENABLED=0): no gateway; fees are taken at the service centre's counter.
SEVA_PAYMENTS_ENABLED = env_bool("SEVA_PAYMENTS_ENABLED", True)
SEVA_PAYMENT_GATEWAYS = (
    payment_gateways_from_environ(os.environ, _DEMO_PAYMENT_ENVIRON)
    if SEVA_PAYMENTS_ENABLED
    else {}
)
# Online orders whose callback never came (or whose browser never returned) are settled from
# the gateway's status query; refunds the gateway could not take are sent again.
CELERY_BEAT_SCHEDULE["settle-pending-payments"] = {
    "task": "seva.payments.tasks.settle_pending",
    "schedule": 5 * 60,
}
CELERY_BEAT_SCHEDULE["send-requested-refunds"] = {
    "task": "seva.payments.tasks.send_requested_refunds",
    "schedule": 15 * 60,
}
# Yesterday's settlement file of each gateway and bank is matched to the ledger (issue 21,
# reconciliation; docs/payments.md), once their files are out in the morning (local time).
SEVA_RECONCILIATION_TIME = env_time("SEVA_RECONCILIATION_TIME", "07:00")
CELERY_BEAT_SCHEDULE["reconcile-settlements"] = {
    "task": "seva.payments.tasks.reconcile_yesterday",
    "schedule": crontab(hour=SEVA_RECONCILIATION_TIME.hour, minute=SEVA_RECONCILIATION_TIME.minute),
}
