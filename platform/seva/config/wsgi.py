"""The WSGI entry point for an application server (gunicorn: docs/operations.md).

The settings module must be named (DJANGO_SETTINGS_MODULE=seva.config.settings.prod in
production): a server started without one refuses to start, rather than run the development
settings, with DEBUG on, in front of citizens. `manage.py` names the development settings
itself for `make run`."""

import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    raise ImproperlyConfigured(
        "DJANGO_SETTINGS_MODULE is not set: name the settings to serve with, "
        "seva.config.settings.prod in production"
    )

application = get_wsgi_application()
