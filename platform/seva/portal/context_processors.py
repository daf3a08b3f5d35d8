from django.conf import settings
from django.utils import translation

from . import selectors
from .themes import current_theme, site_facts


def portal(request) -> dict:
    """What every portal template needs: the theme, the languages, the signed-in citizen."""
    return {
        "theme": current_theme(),
        "site_name": _site_name(request),
        "portal_languages": [
            (code, translation.get_language_info(code)["name_local"])
            for code, _ in settings.LANGUAGES
        ],
        "demo_sms_box": selectors.demo_sms_box_open(),
    }


def _site_name(request) -> str:
    """The name of the Wagtail Site this host is (a department's portal has its own)."""
    name = getattr(request, "site_name", None)
    if name is None:  # a request the theme middleware did not see
        name = site_facts(request)[1]
    return name or settings.WAGTAIL_SITE_NAME
