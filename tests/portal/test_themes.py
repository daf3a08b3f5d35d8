"""Themes: each Wagtail Site picks one; a theme overrides templates and static files, and
everything it uses is served by the project itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from wagtail.models import Site

from seva.portal.models import HomePage, SiteTheme
from seva.portal.themes import available_themes


@pytest.fixture
def department_site(db) -> Site:
    """A second site (another host name) on the same pages, in the saffron theme."""
    site = Site.objects.create(
        hostname="pension.example.gov.in",
        port=80,
        root_page=HomePage.objects.get(),
        site_name="Pensions",
    )
    SiteTheme.objects.update_or_create(site=site, defaults={"theme": "saffron"})
    return site


def test_there_are_at_least_two_themes():
    assert {"default", "saffron"} <= set(available_themes())


@pytest.mark.django_db
def test_each_site_is_drawn_in_its_own_theme(department_site, settings):
    settings.ALLOWED_HOSTS = ["testserver", "pension.example.gov.in"]
    default = Client().get("/").content.decode()
    saffron = Client(HTTP_HOST="pension.example.gov.in").get("/").content.decode()
    assert "/static/themes/default/css/site.css" in default and 'class="theme-default"' in default
    assert "/static/themes/saffron/css/site.css" in saffron and 'class="theme-saffron"' in saffron
    # The saffron theme overrides the footer template; the default site keeps its own.
    assert "A department portal on Seva" in saffron
    # Each site carries its own name.
    assert ">Pensions</a>" in saffron and ">Pensions</a>" not in default
    assert "A department portal on Seva" not in default


@pytest.mark.django_db
def test_a_theme_without_its_own_asset_falls_back_to_the_default_one(department_site, settings):
    settings.ALLOWED_HOSTS = ["testserver", "pension.example.gov.in"]
    page = Client(HTTP_HOST="pension.example.gov.in").get("/login/").content.decode()
    assert "/static/formschemas/enhance.js" in page


@pytest.mark.django_db
def test_every_asset_a_page_links_to_is_served_by_the_project():
    page = Client().get("/").content.decode()
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert links
    for link in links:
        assert finders.find(link.removeprefix("/static/")), link
    assert not re.search(r'(?:href|src)="(?:https?:)?//', page), (
        "nothing may load from another host"
    )


def test_theme_stylesheets_import_only_local_files():
    for theme in available_themes():
        css = finders.find(f"themes/{theme}/css/site.css")
        text = Path(css).read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), theme
        assert "@font-face" not in text or "http" not in text


@pytest.mark.django_db
def test_a_site_cannot_choose_a_theme_that_does_not_exist():
    from django.core.exceptions import ValidationError

    setting = SiteTheme(site=Site.objects.get(is_default_site=True), theme="saffon")
    with pytest.raises(ValidationError) as refused:
        setting.full_clean()
    assert "no theme called saffon" in str(refused.value.message_dict["theme"])
    assert "saffron" in str(refused.value.message_dict["theme"])


@pytest.mark.django_db
def test_links_to_service_pages_stay_on_the_host_the_citizen_is_on(department_site, settings):
    settings.ALLOWED_HOSTS = ["testserver", "pension.example.gov.in"]
    for client in (Client(), Client(HTTP_HOST="pension.example.gov.in")):
        page = client.get("/services/").content.decode()
        assert 'href="/revenue/income-certificate/"' in page
        assert not re.search(r'href="https?://', page)
