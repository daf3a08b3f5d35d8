"""Themes: a folder of template and static overrides under `themes/<name>/`, chosen per
Wagtail Site. The active theme is set per request by `ThemeMiddleware` and read by the
template loaders below, so one process serves several sites in different looks."""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loaders import cached, filesystem

from seva.core.process_cache import ProcessCache

DEFAULT_THEME = "default"
_current: ContextVar[str] = ContextVar("seva_theme", default=DEFAULT_THEME)


def available_themes() -> list[str]:
    return list(_themes_in(str(settings.SEVA_THEMES_DIR)))


@lru_cache(maxsize=8)
def _themes_in(root: str) -> tuple[str, ...]:
    """The theme folders, read once a process: they come with a deployment, not at run time."""
    return tuple(
        sorted(p.name for p in Path(root).iterdir() if p.is_dir() and (p / "theme.txt").exists())
    )


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


# (theme, site name) by the host and port a request came to: two statements a request saved,
# kept per process and dropped when a Site or its theme changes (seva.core.process_cache).
_sites: ProcessCache[tuple[str, str]] = ProcessCache("site theme and name by host", maxsize=256)


def _site_facts(request) -> tuple[str, str]:
    from wagtail.models import Site  # noqa: PLC0415 (the loader is built before models load)

    from .models import SiteTheme  # noqa: PLC0415 (the same)

    site = Site.find_for_request(request)
    if site is None:  # no Wagtail Site answers this host
        return "", ""
    return SiteTheme.for_site(site).theme, site.site_name


def site_facts(request) -> tuple[str, str]:
    """The theme chosen for the Wagtail Site that answers this request's host, and the site's
    name (empty strings when none answers)."""
    key = (request.get_host(), request.get_port())
    return _sites.get(key, lambda: _site_facts(request))


class ThemeMiddleware:
    """Sets the active theme from the request's Wagtail Site (its SiteTheme setting)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        theme = DEFAULT_THEME
        chosen, request.site_name = site_facts(request)
        if chosen and chosen in available_themes():
            theme = chosen
        request.theme = theme
        token = _current.set(theme)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
