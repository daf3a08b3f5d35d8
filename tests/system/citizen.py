"""A citizen's hands in the browser: signing in with the code from the demo SMS box, and
filling a schema-rendered form step by step, the way a person would (typing, choosing,
attaching files, pressing "Add another")."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.helpers import file_for

from .browser import REPO_DIR, audit


def form_schema(relative_path: str) -> dict:
    return json.loads((REPO_DIR / "form_schemas" / relative_path).read_text())


def switch_language(page, language: str) -> None:
    """Press the header's language button (the visible switcher every page carries)."""
    with page.expect_navigation():
        page.click(f".language-switch button[value='{language}']")
    assert page.get_attribute("html", "lang") == language


def sms_code(page, mobile: str, *, language: str) -> str:
    """Read the newest sign-in code for `mobile` in the demo SMS box, in a second tab."""
    box = page.context.new_page()
    box.seva_test_name = page.seva_test_name
    box.seva_javascript = page.seva_javascript
    box.seva_screenshots = getattr(page, "seva_screenshots", 0)
    box.goto("/demo/sms/")
    box.fill("#mobile", mobile)
    with box.expect_navigation():
        box.press("#mobile", "Enter")
    audit(box, "demo-sms-box", language=language)
    page.seva_screenshots = box.seva_screenshots
    text = box.inner_text(".sms-table tbody tr:first-child .sms-body")
    box.close()
    match = re.search(r"\b(\d{6})\b", text)
    assert match, f"no sign-in code in the newest SMS to {mobile}: {text!r}"
    return match.group(1)


def sign_in(page, mobile: str, *, language: str) -> None:
    page.goto("/login/")
    audit(page, "sign-in", language=language)
    page.fill("#id_mobile", mobile)
    with page.expect_navigation():
        page.press("#id_mobile", "Enter")
    assert "/login/code/" in page.url, page.url
    audit(page, "enter-code", language=language)
    code = sms_code(page, mobile, language=language)
    page.fill("#id_code", code)
    with page.expect_navigation():
        page.press("#id_code", "Enter")
    assert page.url.endswith("/my/"), page.url


# ------------------------------------------------------------------------------
# Filling a schema-rendered step
# ------------------------------------------------------------------------------
def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """[("applicant.full_name", "Sunita Devi"), ("income_sources.1.source", "other"), ...]"""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(item, f"{prefix}{key}.")]
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [pair for i, item in enumerate(value) for pair in flatten(item, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), value)]


def _repeat_row(name: str) -> tuple[str, int] | None:
    """For "family_members.2.name": ("family_members", 2)."""
    match = re.match(r"^(.*?)\.(\d+)\.", name)
    return (match.group(1), int(match.group(2))) if match else None


def fill(page, values: dict[str, Any], files: dict[str, Path | tuple] | None = None) -> None:
    """Answer the questions on the current step. Rows of repeatable groups that the page does
    not show yet are added with the group's "Add another" button, as a citizen would."""
    for name, value in flatten(values):
        field = page.locator(f'[name="{name}"]:not([type=hidden])')
        if field.count() == 0 and (row := _repeat_row(name)):
            with page.expect_navigation():
                page.click(f'button[name="_add"][value="{row[0]}"]')
            field = page.locator(f'[name="{name}"]:not([type=hidden])')
        assert field.count(), f"the page has no field named {name!r}"
        kind = field.first.evaluate("e => e.type || e.tagName.toLowerCase()")
        if kind == "radio":
            page.check(f'[name="{name}"][value="{_answer(value)}"]')
        elif kind == "checkbox" and field.count() == 1 and isinstance(value, bool):
            page.set_checked(f'[name="{name}"]', value)
        elif kind == "checkbox":
            for item in value:
                page.check(f'[name="{name}"][value="{item}"]')
        elif kind.startswith("select"):
            field.first.select_option(_answer(value))
        else:
            field.first.fill(_answer(value))
    for name, file in (files or {}).items():
        page.set_input_files(f'input[type=file][name="{name}"]', file)


def _answer(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def upload(accept: list[str]) -> dict:
    """A small genuine file of an accepted type, as Playwright attaches it."""
    name, content, content_type = file_for(accept)
    return {"name": name, "mimeType": content_type, "buffer": content}


def press_continue(page) -> None:
    with page.expect_navigation():
        page.click('button[name="continue"]')
