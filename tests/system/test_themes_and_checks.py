"""The second theme passes the same accessibility checks as the default one, in both
languages; and the checker itself is shown to catch what it is there to catch."""

from __future__ import annotations

import pytest

from .browser import AccessibilityViolation, ContentSecurityPolicyViolation, audit, axe_violations
from .citizen import switch_language

PUBLIC_PAGES = [
    ("home", "/"),
    ("catalogue", "/services/?q=certificate"),
    ("service-page", "/social-justice/old-age-pension/"),
    ("department-page", "/revenue/"),
    ("eligibility", "/eligibility/?age=70&annual_family_income=90000&years_resident=70"),
    ("sign-in", "/login/"),
    ("track", "/track/"),
]


@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_second_theme_is_drawn_and_accessible(second_theme_page, language):
    page = second_theme_page
    page.goto("/")
    assert page.get_attribute("body", "class") == "theme-saffron"
    assert "/static/themes/saffron/css/site.css" in page.content()
    if language != "en":
        switch_language(page, language)
    for name, url in PUBLIC_PAGES:
        page.goto(url)
        audit(page, name, language=language)
    # A mistake on the sign-in form, in this theme's colours.
    page.fill("#id_mobile", "12")
    with page.expect_navigation():
        page.press("#id_mobile", "Enter")
    audit(page, "sign-in-error", language=language)
    assert page.locator(".error-summary").is_visible()


def test_the_checker_catches_an_unlabelled_field_and_low_contrast(page):
    page.goto("/")
    assert axe_violations(page) == []
    # The faint colours are set through the CSSOM, which the page's policy allows (a style=""
    # attribute would be blocked, and caught by the next test).
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<input type="text" name="nameless">');
            const faint = document.createElement('p');
            faint.textContent = 'Faint text';
            faint.style.color = '#bbb';
            faint.style.background = '#fff';
            main.append(faint);
        }"""
    )
    found = "\n".join(axe_violations(page))
    assert "label" in found and "color-contrast" in found
    with pytest.raises(AccessibilityViolation):
        audit(page, "broken-on-purpose", language="en")


def test_the_checker_catches_what_the_policy_blocks(page):
    """A style="" attribute and an inline script without the nonce, added as an injection
    would add them: the policy blocks both, and the audit fails on the reports."""
    page.goto("/")
    audit(page, "home", language="en")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<p style="color: red">Injected</p>');
            const script = document.createElement('script');
            script.textContent = 'document.title = "injected"';
            main.append(script);
        }"""
    )
    with pytest.raises(ContentSecurityPolicyViolation) as raised:
        audit(page, "blocked-on-purpose", language="en")
    assert "style-src" in str(raised.value) and "script-src" in str(raised.value)
    assert page.title() != "injected"
