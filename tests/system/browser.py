"""What the browser tests share: where Chromium and axe-core are, and `audit`, which every
test calls on every page it visits (a screenshot, the page's language, no Content-Security-
Policy violation and no request to another host since the last audit, axe-core's verdict).

The policy is the one production sends (the dev settings have the same), and nothing here
weakens it: no bypass_csp. Violations are heard two ways, from the start of every document:
`securitypolicyviolation` events, by a script the context adds before any of the page's own
(CSP_LISTENER); and the browser's own console report of each block, which comes even where
JavaScript is off. axe-core is run through the DevTools protocol (page.evaluate), which the
page's policy does not govern, rather than added to the page as a <script>, which it would
block."""

from __future__ import annotations

import re
import urllib.parse
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


class ContentSecurityPolicyViolation(AssertionError):
    pass


# Added to every context (tests/system/conftest.py): runs in each document before its scripts.
CSP_LISTENER = """(() => {
    const heard = [];
    Object.defineProperty(window, "__sevaCspViolations", {value: heard});
    window.addEventListener("securitypolicyviolation", (event) => {
        heard.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"} in `
            + `${event.sourceFile || event.documentURI}:${event.lineNumber} ${event.sample}`);
    }, true);
})();"""


def watch_context(context, *, own_origins: set[str]) -> None:
    """Listen, for the life of `context`, for what `audit` checks besides the page itself:
    the browser's reports of blocked content, and requests to any other origin."""
    context.seva_blocked = []
    context.seva_outside = []
    context.add_init_script(script=CSP_LISTENER)

    def on_console(message) -> None:
        if "Content Security Policy" in message.text:
            context.seva_blocked.append(f"{message.location.get('url', '')}: {message.text}")

    def on_request(request) -> None:
        parts = urllib.parse.urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and (
            f"{parts.scheme}://{parts.netloc}" not in own_origins
        ):
            context.seva_outside.append(request.url)

    context.on("console", on_console)
    context.on("request", on_request)


def audit(page, name: str, *, language: str) -> None:
    """Check the page the browser is on: save a full-page screenshot as a test artefact,
    check that it declares `language`, that nothing was blocked by the Content-Security-
    Policy or fetched from another host, and (where JavaScript runs) that axe-core finds no
    WCAG 2.1 A or AA violation."""
    _screenshot(page, name)
    declared = page.get_attribute("html", "lang")
    assert declared == language, f"{page.url}: <html lang={declared!r}>, expected {language!r}"
    assert_nothing_blocked(page)
    if not getattr(page, "seva_javascript", True):
        return
    violations = axe_violations(page)
    if violations:
        raise AccessibilityViolation(
            f"axe-core found {len(violations)} WCAG 2.1 A/AA violation(s) on {page.url} "
            f"({language}):\n" + "\n".join(violations)
        )


def assert_nothing_blocked(page) -> None:
    """Since the last check: no Content-Security-Policy violation, no request to another host."""
    if blocked := csp_violations(page):
        raise ContentSecurityPolicyViolation(
            f"the Content-Security-Policy blocked {len(blocked)} thing(s) by {page.url}:\n"
            + "\n".join(blocked)
        )
    outside = list(page.context.seva_outside)
    page.context.seva_outside.clear()
    assert not outside, f"requests left the site by {page.url}: {outside}"


def csp_violations(page) -> list[str]:
    """What the policy blocked since the last audit: as the browser reported it (every page
    of the context, scripts on or off), and as the page heard it (this document)."""
    blocked = list(page.context.seva_blocked)
    page.context.seva_blocked.clear()
    if getattr(page, "seva_javascript", True):
        blocked += page.evaluate("() => (window.__sevaCspViolations || []).splice(0)")
    return blocked


def axe_violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text())
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
    # caret="initial": hiding the caret would add a <style> to the page, which the policy blocks.
    page.screenshot(
        path=str(artefact_path(page, f"{count:02d}-{name}.png")), full_page=True, caret="initial"
    )
