from functools import lru_cache

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.utils.translation import get_language

from ..themes import DEFAULT_THEME, current_theme

register = template.Library()


@lru_cache(maxsize=512)
def _theme_asset(theme: str, path: str) -> str:
    if theme != DEFAULT_THEME and finders.find(f"themes/{theme}/{path}"):
        return f"themes/{theme}/{path}"
    return f"themes/{DEFAULT_THEME}/{path}"


@register.simple_tag
def theme_static(path: str) -> str:
    """The URL of a theme asset: the active theme's own, else the default theme's."""
    return static(_theme_asset(current_theme(), path))


@register.filter
def tr(texts, language: str | None = None) -> str:
    """{en: ..., hi: ...} -> the text in the current language (English if missing)."""
    if not isinstance(texts, dict):
        return "" if texts is None else str(texts)
    language = language or (get_language() or "en")[:2]
    return texts.get(language) or texts.get("en") or ""


@register.filter
def field(obj, name: str):
    """obj.<name>_<language>, e.g. {{ department|field:"name" }} -> name_hi in Hindi."""
    language = (get_language() or "en")[:2]
    return getattr(obj, f"{name}_{language}", None) or getattr(obj, f"{name}_en", "")
