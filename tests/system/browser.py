"""What the browser tests share: where Chromium and axe-core are, and `audit`, which every
test calls on every page it visits (a screenshot, the page's language, axe-core's verdict)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE_SOURCE = REPO_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = REPO_DIR / "var" / "test-artifacts" / "screenshots"
# WCAG 2.1 A and AA, the level GIGW 3.0 asks of government sites.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass(frozen=True)
class Site:
    base_url: str
    log_path: Path
    second_theme_url: str


class AccessibilityViolation(AssertionError):
    pass


def audit(page, name: str, *, language: str) -> None:
    """Check the page the browser is on: save a full-page screenshot as a test artefact,
    check that it declares `language`, and (where JavaScript runs) that axe-core finds no
    WCAG 2.1 A or AA violation."""
    _screenshot(page, name)
    declared = page.get_attribute("html", "lang")
    assert declared == language, f"{page.url}: <html lang={declared!r}>, expected {language!r}"
    if not getattr(page, "seva_javascript", True):
        return
    violations = axe_violations(page)
    if violations:
        raise AccessibilityViolation(
            f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url} "
            f"({language}):\n" + "\n".join(violations)
        )


def axe_violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SOURCE))
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ') + ' -- ' + n.failureSummary),
            }));
        }""",
        WCAG_TAGS,
    )
    lines = []
    for violation in found:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node}" for node in violation["nodes"][:5]]
    return lines


def artefact_path(page, file_name: str) -> Path:
    """Where a test's artefact goes: one folder per test under var/test-artifacts/."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", getattr(page, "seva_test_name", "page"))
    folder = SCREENSHOT_DIR / test_name.strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / file_name


def _screenshot(page, name: str) -> None:
    count = getattr(page, "seva_screenshots", 0) + 1
    page.seva_screenshots = count
    page.screenshot(path=str(artefact_path(page, f"{count:02d}-{name}.png")), full_page=True)
