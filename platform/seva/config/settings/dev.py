"""Local development and the `make run` demo: embedded defaults, debug on."""

from .base import *  # noqa: F403
from .base import _TEMPLATE_LOADERS, TEMPLATES, env_list

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = True
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-a-secret")  # noqa: F405
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")

# ------------------------------------------------------------------------------
# E-mail goes to the console in the demo
# ------------------------------------------------------------------------------
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# ------------------------------------------------------------------------------
# Templates are re-read on every request while developing
# ------------------------------------------------------------------------------
TEMPLATES[0]["OPTIONS"]["loaders"] = _TEMPLATE_LOADERS

# ------------------------------------------------------------------------------
# The demo shows every SMS (OTPs included) at /demo/sms/
# ------------------------------------------------------------------------------
SEVA_DEMO_SMS_BOX = True
