"""The ASGI entry point. Like wsgi.py, it refuses to start without a settings module named:
never the development settings by default."""

import os

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    raise ImproperlyConfigured(
        "DJANGO_SETTINGS_MODULE is not set: name the settings to serve with, "
        "seva.config.settings.prod in production"
    )

application = get_asgi_application()
