"""The citizen portal: Wagtail pages made from the definitions (which editors can enrich),
the theme chosen per site, and citizens' identity (mobile number, OTP sign-in)."""

from __future__ import annotations

from django.db import models
from django.http import Http404
from django.utils import translation
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from seva.core.errors import NotFound
from seva.definitions.models import Service
from seva.org.models import Department

from .themes import validate_theme


# ------------------------------------------------------------------------------
# Pages. Their facts come from the definitions; editors add words in both languages.
# `portal_pages_sync` (pages.py) makes them; each page's context comes from one selector
# in catalogue.py, imported late because catalogue.py reads these models.
# ------------------------------------------------------------------------------
def _language() -> str:
    return (translation.get_language() or "en")[:2]


class BilingualIntroMixin(models.Model):
    intro_en = RichTextField(blank=True, verbose_name="Introduction (English)")
    intro_hi = RichTextField(blank=True, verbose_name="Introduction (Hindi)")

    content_panels = [*Page.content_panels, FieldPanel("intro_en"), FieldPanel("intro_hi")]

    class Meta:
        abstract = True


class HomePage(BilingualIntroMixin, Page):  # noqa: DJ008 - Page has __str__
    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["portal.CataloguePage", "portal.DepartmentPage"]

    class Meta:
        verbose_name = "home page"

    def get_context(self, request, *args, **kwargs):
        from .catalogue import department_summaries  # noqa: PLC0415 (catalogue reads these models)

        context = super().get_context(request, *args, **kwargs)
        context["departments"] = department_summaries(language=_language())
        return context


class CataloguePage(BilingualIntroMixin, Page):  # noqa: DJ008 - Page has __str__
    """Every published service, scheme and grievance type, with search and filters."""

    max_count = 1
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "service catalogue"

    def get_context(self, request, *args, **kwargs):
        from .catalogue import catalogue, department_summaries, kind_choices  # noqa: PLC0415 (catalogue reads these models)

        context = super().get_context(request, *args, **kwargs)
        language = _language()
        kinds = kind_choices()
        departments = department_summaries(language=language)
        query = request.GET.get("q", "").strip()[:200]
        # An unknown filter value (an old bookmark, a hand-edited URL) is ignored, not an error.
        kind = request.GET.get("kind", "")
        kind = kind if kind in dict(kinds) else ""
        department = request.GET.get("department", "")
        department = department if department in {d.code for d in departments} else ""
        context.update(
            query=query,
            kind=kind,
            department=department,
            kinds=kinds,
            departments=departments,
            entries=catalogue(query=query, kind=kind, department=department, language=language),
            filtered=bool(query or kind or department),
        )
        return context


class DepartmentPage(BilingualIntroMixin, Page):  # noqa: DJ008 - Page has __str__
    department = models.OneToOneField(Department, on_delete=models.PROTECT, related_name="page")
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["portal.ServicePage"]

    content_panels = [*BilingualIntroMixin.content_panels]

    class Meta:
        verbose_name = "department page"

    def get_context(self, request, *args, **kwargs):
        from .catalogue import catalogue  # noqa: PLC0415 (catalogue reads these models)

        context = super().get_context(request, *args, **kwargs)
        context["entries"] = catalogue(department=self.department.code, language=_language())
        return context


class ServicePage(Page):
    """One per service, created when the service is first synced. The facts (eligibility,
    documents, fee, RTS timeline, appeals) come from the service's current version."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="page")
    extra_en = RichTextField(blank=True, verbose_name="More about this service (English)")
    extra_hi = RichTextField(blank=True, verbose_name="More about this service (Hindi)")

    parent_page_types = ["portal.DepartmentPage"]
    subpage_types: list[str] = []
    content_panels = [*Page.content_panels, FieldPanel("extra_en"), FieldPanel("extra_hi")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("extra_en"),
        index.SearchField("extra_hi"),
    ]

    class Meta:
        verbose_name = "service page"

    def get_context(self, request, *args, **kwargs):

        from .catalogue import service_detail  # noqa: PLC0415 (catalogue reads these models)

        context = super().get_context(request, *args, **kwargs)
        try:
            context["detail"] = service_detail(code=self.service.code, language=_language())
        except NotFound:  # withdrawn: only an editor's preview can still reach the page
            raise Http404 from None
        return context


# ------------------------------------------------------------------------------
# Theme per site
# ------------------------------------------------------------------------------


@register_setting(icon="view")
class SiteTheme(BaseSiteSetting):
    theme = models.CharField(
        max_length=40,
        default="default",
        help_text="A folder under themes/: its templates and static files override the defaults.",
        validators=[validate_theme],
    )

    panels = [FieldPanel("theme")]

    class Meta:
        verbose_name = "site theme"
