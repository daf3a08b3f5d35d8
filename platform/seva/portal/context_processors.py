from django.conf import settings
from django.utils import translation

from .themes import current_theme


def portal(request) -> dict:
    """What every portal template needs: the theme, the languages, the signed-in citizen."""
    return {
        "theme": current_theme(),
        "site_name": settings.WAGTAIL_SITE_NAME,
        "portal_languages": [
            (code, translation.get_language_info(code)["name_local"])
            for code, _ in settings.LANGUAGES
        ],
        "demo_sms_box": settings.SEVA_DEMO_SMS_BOX,
    }
