"""The Content-Security-Policy in the browser, on the pages no journey visits: the state
admin's organisation forms (a date picker, a chooser's modal, an inline panel's new row),
Wagtail's page editor (the rich text editor, the preview beside it), Swagger UI and the
Django admin. Each widget still works, and the browser reports nothing blocked and no
request to another host. (Not axe-core: these are Wagtail's, Django's and Swagger UI's own
screens; the journeys audit Seva's.) The journeys' pages are checked on every `audit`."""

from __future__ import annotations

from .browser import assert_nothing_blocked
from .officer import PASSWORD, sign_in_officer


def settle(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_the_state_admin_uses_wagtails_widgets_with_nothing_blocked(page):
    sign_in_officer(page, "admin")
    assert_nothing_blocked(page)

    # A holiday's date, from the date picker.
    settle(page, "/admin/snippets/org/holiday/add/")
    page.click("#id_date")
    picker = page.wait_for_selector(".xdsoft_datetimepicker", state="visible")
    picker.query_selector_all(".xdsoft_date:not(.xdsoft_other_month)")[10].click()
    assert page.input_value("#id_date"), "the date picker wrote no date"
    assert_nothing_blocked(page)

    # A posting's role, from the chooser's modal.
    settle(page, "/admin/snippets/org/posting/add/")
    page.locator("#id_role").locator("xpath=..").locator("[data-chooser-action-choose]").click()
    choice = page.locator(".modal a[data-chooser-modal-choice]").first
    choice.wait_for()
    chosen = choice.inner_text().strip()
    choice.click()
    page.locator(".modal").first.wait_for(state="hidden")
    assert page.input_value("input[name='role']"), "the chooser set no role"
    assert chosen in page.locator("[data-chooser-title]").first.inner_text()
    assert_nothing_blocked(page)

    # A workflow's task, in an inline panel's new row (with its own chooser).
    settle(page, "/admin/workflows/add/")
    page.click("#id_workflow_tasks-ADD")
    page.wait_for_function(
        "() => document.querySelector('#id_workflow_tasks-TOTAL_FORMS').value === '1'"
    )
    assert page.locator("#id_workflow_tasks-0-task").count() == 1
    assert_nothing_blocked(page)


def test_wagtails_page_editor_and_preview_run_with_nothing_blocked(page):
    sign_in_officer(page, "admin")
    settle(page, "/admin/pages/")
    home = page.locator("a[href^='/admin/pages/'][href$='/edit/']").first.get_attribute("href")
    settle(page, home)
    # The rich text editor's own styles (placeholders, list numbering) are applied.
    page.locator(".Draftail-Editor").first.wait_for()
    assert page.evaluate("() => [...document.querySelectorAll('style')].every(s => s.sheet)")
    page.get_by_role("button", name="Toggle preview").click()
    page.frame_locator("iframe").first.locator("main").wait_for()
    assert_nothing_blocked(page)


def test_swagger_ui_and_the_django_admin_run_with_nothing_blocked(page):
    settle(page, "/api/docs/")
    page.locator(".opblock-summary").first.click()
    page.locator(".opblock-body").first.wait_for()
    assert_nothing_blocked(page)

    settle(page, "/django-admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    for url in ("/django-admin/", "/django-admin/auth/user/", "/django-admin/auth/user/add/"):
        settle(page, url)
        assert_nothing_blocked(page)
