"""The portal's page tree, made from the definitions:

    HomePage (the default Site's root)
    ├── CataloguePage  /services/
    └── DepartmentPage /<department-code>/         one per department with a live service
        └── ServicePage /<department-code>/<code>/ one per service

The facts on these pages are read from the definitions when a page is shown; the pages exist
so that editors can add words (intro_*, extra_*) in Wagtail, and so that Wagtail routes, lists
and searches them. `portal_pages_sync` only ever creates pages, keeps titles and places in
step with the definitions, and unpublishes: it never writes or deletes an editor's text.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from seva.definitions.events import ServicesChanged, services_changed
from seva.definitions.models import Service
from seva.org.models import Department

from .models import CataloguePage, DepartmentPage, HomePage, ServicePage

logger = logging.getLogger(__name__)

HOME_SLUG = "home"
CATALOGUE_SLUG = "services"


def department_slug(department: Department) -> str:
    return department.code.replace("_", "-")


def _new_page_fields(title: str, slug: str) -> dict:
    now = timezone.now()
    return {
        "title": title,
        "draft_title": title,
        "slug": slug,
        "live": True,
        "first_published_at": now,
        "last_published_at": now,
    }


def _is_untouched_welcome_page(page: Page) -> bool:
    """Wagtail's initial "Welcome to your new Wagtail site!": a plain Page nobody built on."""
    return page.content_type_id == ContentType.objects.get_for_model(Page).pk and page.is_leaf()


def _home_page(created: dict[str, int]) -> HomePage:
    home = HomePage.objects.first()
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    welcome = site.root_page if site and _is_untouched_welcome_page(site.root_page) else None
    if home is None:
        if welcome is not None and welcome.slug == HOME_SLUG:
            # Siblings need distinct slugs and the welcome page holds "home"; it is deleted
            # below, in this same transaction, so nobody ever sees the new slug.
            Page.objects.filter(pk=welcome.pk).update(slug=f"{HOME_SLUG}-replaced")
        root = Page.get_first_root_node()
        taken = root.get_children().filter(slug=HOME_SLUG).exists()
        home = root.add_child(
            instance=HomePage(
                **_new_page_fields(settings.WAGTAIL_SITE_NAME, "seva-home" if taken else HOME_SLUG)
            )
        )
        created["home"] += 1
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            site_name=settings.WAGTAIL_SITE_NAME,
            root_page=home,
            is_default_site=True,
        )
    elif site.root_page_id != home.pk and (created["home"] or welcome is not None):
        # Only a new home page or Wagtail's placeholder is replaced: a root an editor chose
        # on purpose is left alone.
        site.root_page = home
        site.save()
    if welcome is not None and not Site.objects.filter(root_page=welcome).exists():
        # Site.root_page cascades, so the welcome page goes only once no site points at it.
        welcome.delete()
    return home


def _catalogue_page(home: HomePage, created: dict[str, int]) -> CataloguePage:
    page = CataloguePage.objects.first()
    if page is None:
        page = home.add_child(
            instance=CataloguePage(**_new_page_fields("Services", CATALOGUE_SLUG))
        )
        created["catalogue"] += 1
    return page


def _keep_in_step(page: Page, *, title: str, parent: Page | None = None) -> None:
    """The title follows the definitions; the page is live and under `parent`."""
    if page.title != title:
        page.title = page.draft_title = title
        page.save(update_fields=["title", "draft_title"], clean=False)
    if not page.live:
        page.live = True
        page.last_published_at = timezone.now()
        page.save(update_fields=["live", "last_published_at"], clean=False)
    if parent is not None and page.get_parent().pk != parent.pk:
        page.move(parent, pos="last-child")


def _unpublish(page: Page) -> None:
    if page.live:
        page.unpublish()


@transaction.atomic
def portal_pages_sync() -> dict[str, int]:
    """Make the page tree match the definitions. Idempotent: call it after every
    `definitions_sync`. Returns how many pages of each kind were created."""
    created = {"home": 0, "catalogue": 0, "departments": 0, "services": 0}
    home = _home_page(created)
    _catalogue_page(home, created)

    services = list(
        Service.objects.select_related("department", "current_version").only(
            "code",
            "department",
            "current_version",
            "department__code",
            "department__name_en",
            "current_version__service_doc",
        )
    )
    offered = {s.department_id: s.department for s in services if s.current_version_id}

    department_pages = {page.department_id: page for page in DepartmentPage.objects.all()}
    for department_id, page in department_pages.items():
        if department_id not in offered:
            _unpublish(page)
    for department_id, department in sorted(offered.items(), key=lambda item: item[1].code):
        page = department_pages.get(department_id)
        if page is None:
            page = home.add_child(
                instance=DepartmentPage(
                    **_new_page_fields(department.name_en, department_slug(department)),
                    department=department,
                )
            )
            department_pages[department_id] = page
            created["departments"] += 1
        else:
            _keep_in_step(page, title=department.name_en)

    service_pages = {page.service_id: page for page in ServicePage.objects.all()}
    for service in sorted(services, key=lambda s: s.code):
        page = service_pages.get(service.pk)
        if service.current_version_id is None:
            if page is not None:
                _unpublish(page)
            continue
        title = service.current_version.spec.name["en"]
        parent = department_pages[service.department_id]
        if page is None:
            parent.add_child(
                instance=ServicePage(**_new_page_fields(title, service.code), service=service)
            )
            created["services"] += 1
        else:
            # A service moved to another department moves with its page (and its texts).
            _keep_in_step(page, title=title, parent=parent)
    return created


@services_changed.register("portal-pages")
def _on_services_changed(event: ServicesChanged) -> None:
    created = portal_pages_sync()
    if any(created.values()):
        logger.info("portal pages created: %s", sum(created.values()))
