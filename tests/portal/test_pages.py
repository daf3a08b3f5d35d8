"""The portal's Wagtail pages are made from the definitions, keep editors' words across
syncs, and render the facts of each service in English and in Hindi."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client
from wagtail.models import Page, Site

from seva.definitions.models import Service
from seva.definitions.services import definitions_sync
from seva.portal.catalogue import catalogue
from seva.portal.models import CataloguePage, DepartmentPage, HomePage, ServicePage
from seva.portal.pages import portal_pages_sync

REPO = Path(__file__).resolve().parents[2]
NOTHING_CREATED = {"home": 0, "catalogue": 0, "departments": 0, "services": 0}


@pytest.fixture
def pages(db) -> dict[str, int]:
    return portal_pages_sync()


def client_in(language: str) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page_of(code: str) -> ServicePage:
    return ServicePage.objects.get(service__code=code)


# ------------------------------------------------------------------------------
# The page tree
# ------------------------------------------------------------------------------
def test_every_service_gets_a_live_page_under_its_departments_page(pages):
    # sync_definitions (run when the test database was set up) made the pages already.
    offered = Service.objects.filter(current_version__isnull=False)
    assert pages["services"] == 0
    assert offered.count() == ServicePage.objects.live().count()
    for service in offered:
        page = page_of(service.code)
        assert page.slug == service.code
        assert page.title == service.current_version.service_doc["name"]["en"]
        parent = page.get_parent().specific
        assert isinstance(parent, DepartmentPage) and parent.department == service.department
        assert parent.slug == service.department.code.replace("_", "-")
    assert page_of("old-age-pension").url == "/social-justice/old-age-pension/"


def test_the_home_page_replaces_wagtails_welcome_page_as_the_site_root(pages):
    home = HomePage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    assert home.depth == 2
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail").exists()
    catalogue_page = CataloguePage.objects.get()
    assert catalogue_page.get_parent().pk == home.pk and catalogue_page.url == "/services/"


def test_a_second_sync_creates_nothing(pages):
    count = Page.objects.count()
    assert portal_pages_sync() == NOTHING_CREATED
    assert Page.objects.count() == count


def test_an_editors_text_survives_a_resync(pages):
    page = page_of("income-certificate")
    page.extra_hi = "<p>तहसील कार्यालय में सहायता डेस्क उपलब्ध है।</p>"
    page.save()
    home = HomePage.objects.get()
    home.intro_en = "<p>Welcome to Seva.</p>"
    home.save()

    assert portal_pages_sync() == NOTHING_CREATED

    assert page_of("income-certificate").extra_hi == ("<p>तहसील कार्यालय में सहायता डेस्क उपलब्ध है।</p>")
    assert HomePage.objects.get().intro_en == "<p>Welcome to Seva.</p>"
    response = client_in("hi").get("/revenue/income-certificate/")
    assert "तहसील कार्यालय में सहायता डेस्क उपलब्ध है।" in response.content.decode()
    assert "Welcome to Seva." in client_in("en").get("/").content.decode()


def test_a_withdrawn_service_is_unpublished_not_deleted_and_comes_back(pages, client):
    service = Service.objects.get(code="water-connection")
    version = service.current_version
    # The department's other service is withdrawn too, so that it offers nothing.
    others = {
        s.pk: s.current_version_id
        for s in Service.objects.filter(department=service.department).exclude(pk=service.pk)
    }
    Service.objects.filter(pk__in=[service.pk, *others]).update(current_version=None)

    assert portal_pages_sync() == NOTHING_CREATED
    page = page_of("water-connection")
    assert not page.live
    # Its department offers nothing else, so its page goes offline too.
    assert not DepartmentPage.objects.get(department=service.department).live
    assert client.get("/public-health/water-connection/").status_code == 404
    assert "water-connection" not in [e.code for e in catalogue(language="en")]

    Service.objects.filter(pk=service.pk).update(current_version=version)
    for pk, version_id in others.items():
        Service.objects.filter(pk=pk).update(current_version_id=version_id)
    assert portal_pages_sync() == NOTHING_CREATED
    assert page_of("water-connection").live
    assert client.get("/public-health/water-connection/").status_code == 200


# ------------------------------------------------------------------------------
# A new service, from files only
# ------------------------------------------------------------------------------
@pytest.fixture
def root_with_a_new_service(tmp_path) -> Path:
    for folder in (settings.SEVA_SERVICE_DIR, settings.SEVA_FORM_DIR, settings.SEVA_WORKFLOW_DIR):
        shutil.copytree(REPO / folder, tmp_path / folder)
    revenue = tmp_path / "service_definitions/revenue"
    service = yaml.safe_load((revenue / "income-certificate.yaml").read_text(encoding="utf-8"))
    service.update(
        code="solvency-certificate",
        reference_code="SOL",
        name={"en": "Solvency certificate", "hi": "हैसियत प्रमाण पत्र"},
        short_name={"en": "Solvency certificate", "hi": "हैसियत प्रमाण पत्र"},
        description={
            "en": "A certificate of the value of your property, for bank guarantees and tenders.",
            "hi": "आपकी संपत्ति के मूल्य का प्रमाण पत्र, बैंक गारंटी और निविदाओं के लिए।",
        },
    )
    (revenue / "solvency-certificate.yaml").write_text(
        yaml.safe_dump(service, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return tmp_path


def test_a_service_added_as_files_gets_a_page_and_is_found(pages, root_with_a_new_service):
    report = definitions_sync(root=root_with_a_new_service)
    assert report.created == ["solvency-certificate v1"]

    assert portal_pages_sync() == {**NOTHING_CREATED, "services": 1}

    found = catalogue(query="solvency", language="en")
    assert [e.code for e in found] == ["solvency-certificate"]
    assert [e.code for e in catalogue(query="हैसियत", language="hi")] == ["solvency-certificate"]
    assert found[0].url == "/revenue/solvency-certificate/"
    response = client_in("hi").get(found[0].url)
    assert response.status_code == 200
    assert "हैसियत प्रमाण पत्र" in response.content.decode()
    listing = Client().get("/services/", {"q": "solvency"}).content.decode()
    assert 'href="/revenue/solvency-certificate/"' in listing


# ------------------------------------------------------------------------------
# The catalogue's search and filters
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("income certificate", "en"),
        ("INCOME", "en"),
        ("आय", "hi"),
        ("आय प्रमाण", "en"),  # Hindi words find services whatever the page's language
    ],
)
def test_the_search_matches_english_and_hindi_texts(pages, query, language):
    assert "income-certificate" in [e.code for e in catalogue(query=query, language=language)]


def test_every_word_must_match(pages):
    assert [e.code for e in catalogue(query="income tehsildar zebra", language="en")] == []
    assert [e.code for e in catalogue(query="old allowance", language="en")] == ["old-age-pension"]


def test_the_search_covers_department_names(pages):
    codes = {e.code for e in catalogue(query="revenue", language="en")}
    assert {"income-certificate", "caste-certificate", "domicile-certificate"} <= codes


def test_filters_by_kind_and_department(pages):
    assert {e.kind for e in catalogue(kind="scheme", language="en")} == {"scheme"}
    assert {e.department_code for e in catalogue(department="revenue", language="en")} == {
        "revenue"
    }
    assert catalogue(kind="grievance", department="revenue", language="en") == []


def test_entries_are_sorted_by_department_then_name_in_the_language(pages):
    for language in ("en", "hi"):
        entries = catalogue(language=language)
        keys = [(e.department_name.casefold(), e.name.casefold()) for e in entries]
        assert keys == sorted(keys)
    entry = next(e for e in catalogue(language="hi") if e.code == "old-age-pension")
    assert entry.name == "वृद्धावस्था सम्मान भत्ता"
    assert entry.department_name == "सामाजिक न्याय एवं अधिकारिता"
    assert (entry.rts_days, entry.rts_day_type, entry.fee_amount) == (30, "working", 0)


# ------------------------------------------------------------------------------
# Pages render, in English and in Hindi
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "english", "hindi"),
    [
        ("/", "Revenue and Disaster Management", "राजस्व एवं आपदा प्रबंधन"),
        ("/services/", "Income certificate", "आय प्रमाण पत्र"),
        ("/services/?q=income+certificate", "Income certificate", "आय प्रमाण पत्र"),
        ("/services/?q=%E0%A4%86%E0%A4%AF", "Income certificate", "आय प्रमाण पत्र"),  # ?q=आय
        ("/services/?kind=scheme&department=social_justice", "Old Age Samman", "वृद्धावस्था"),
        ("/revenue/", "Caste certificate", "जाति प्रमाण पत्र"),
        ("/social-justice/old-age-pension/", "Old Age Samman Allowance", "वृद्धावस्था सम्मान भत्ता"),
    ],
)
@pytest.mark.parametrize("language", ["en", "hi"])
def test_pages_render_in_both_languages(pages, url, english, hindi, language):
    response = client_in(language).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert html.count("<h1") == 1
    assert (hindi if language == "hi" else english) in html


def test_the_home_page_counts_services_and_links_the_finder_and_tracking(pages, client):
    html = client.get("/").content.decode()
    assert 'action="/services/"' in html and 'name="q"' in html
    assert 'href="/revenue/"' in html and "5 services" in html
    assert 'href="/eligibility/"' in html and 'href="/track/"' in html


def test_the_catalogue_lists_the_timeline_fee_and_link(pages, client):
    html = client.get("/services/", {"q": "water"}).content.decode()
    assert 'href="/public-health/water-connection/"' in html
    assert "Decided within" in html and "working days" in html
    assert 'value="water"' in html


def test_a_fee_that_depends_on_the_answers_says_so_with_its_note(pages, client):
    # The land mutation's fee (paid outside Seva) is worked out on the answers.
    listed = client_in("en").get("/services/", {"q": "mutation"}).content.decode()
    assert "Fee depends on your answers" in listed
    page = client_in("en").get("/revenue/land-mutation/").content.decode()
    assert "The fee depends on your answers. Rs 500 for a sale or a gift" in page
    hindi = client_in("hi").get("/revenue/land-mutation/").content.decode()
    assert "शुल्क आपके उत्तरों पर निर्भर करता है। बिक्री या उपहार हेतु 500 रुपये" in hindi


def test_an_unknown_filter_value_is_ignored(pages, client):
    response = client.get("/services/", {"kind": "spaceship", "department": "nowhere"})
    assert response.status_code == 200
    assert len(response.context["entries"]) == len(catalogue(language="en"))


def test_the_service_page_states_the_rts_promise_and_the_appeal_route(pages):
    html = client_in("en").get("/social-justice/old-age-pension/").content.decode()
    assert "Decided within 30 working days under the Haryana Right to Service Act, 2014" in html
    assert "District Social Welfare Officer" in html  # designated officer
    assert "Deputy Commissioner" in html  # first appellate authority
    assert "Director, Social Justice" in html  # second appellate authority
    assert "Your right to appeal" in html
    assert 'action="/apply/old-age-pension/"' in html and 'name="csrfmiddlewaretoken"' in html
    assert 'href="/apply/old-age-pension/"' in html
    assert "Proof of age" in html  # a document
    assert "You are 60 years old or more" in html  # a rule

    hindi = client_in("hi").get("/social-justice/old-age-pension/").content.decode()
    assert "हरियाणा सेवा का अधिकार अधिनियम, 2014" in hindi
    assert "जिला समाज कल्याण अधिकारी" in hindi and "उपायुक्त" in hindi
    assert "निदेशक, सामाजिक न्याय" in hindi
    assert "आपकी आयु 60 वर्ष या अधिक है" in hindi
