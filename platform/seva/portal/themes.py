"""Themes: a folder of template and static overrides under `themes/<name>/`, chosen per
Wagtail Site. The active theme is set per request by `ThemeMiddleware` and read by the
template loaders below, so one process serves several sites in different looks."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loaders import cached, filesystem

DEFAULT_THEME = "default"
_current: ContextVar[str] = ContextVar("seva_theme", default=DEFAULT_THEME)


def available_themes() -> list[str]:
    root = Path(settings.SEVA_THEMES_DIR)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "theme.txt").exists())


def validate_theme(value: str) -> None:
    """A Site may only choose a theme that exists under themes/."""
    themes = available_themes()
    if value not in themes:
        raise ValidationError(
            "There is no theme called %(value)s. The themes are: %(themes)s.",
            params={"value": value, "themes": ", ".join(themes)},
            code="unknown_theme",
        )


def current_theme() -> str:
    return _current.get()


class ThemeLoader(filesystem.Loader):
    """Looks in the active theme's templates/ first, then the default theme's."""

    def get_dirs(self):
        root = Path(settings.SEVA_THEMES_DIR)
        dirs = [root / current_theme() / "templates"]
        if current_theme() != DEFAULT_THEME:
            dirs.append(root / DEFAULT_THEME / "templates")
        return dirs


class CachedLoader(cached.Loader):
    """Django's cached loader, with the theme in the key so themes never share a template."""

    def cache_key(self, template_name, skip=None):
        return f"{current_theme()}:{super().cache_key(template_name, skip)}"


class ThemeMiddleware:
    """Sets the active theme from the request's Wagtail Site (its SiteTheme setting)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .models import SiteTheme  # noqa: PLC0415 (the loader is built before models load)

        theme = DEFAULT_THEME
        try:
            chosen = SiteTheme.for_request(request).theme
        except SiteTheme.DoesNotExist:  # no Wagtail Site answers this host
            chosen = ""
        if chosen and chosen in available_themes():
            theme = chosen
        request.theme = theme
        token = _current.set(theme)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
