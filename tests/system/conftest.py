"""The browser suite: a real Seva web server in its own process and database, driven by
Debian's Chromium through Playwright, with axe-core checking every citizen page it visits.

The server runs the development settings (the ones `make run` uses) against a database of
its own: `<name>_browser` beside the CI database on PostgreSQL, or a fresh SQLite file. It is
migrated, synced from the definition files and seeded with the demo data, exactly as
`make run` does, so the suite sees what a citizen trying the demo sees.

Where Chromium, Playwright or axe-core is missing the suite is skipped, unless
SEVA_REQUIRE_BROWSER_TESTS=1 (set by `.ci/run`), when it fails instead.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from seva.demo import fakegateway
from tests.fakegateway import FakeGatewayServer

from .browser import AXE_SOURCE, CHROMIUM, CHROMIUM_FLAGS, SCREENSHOT_DIR, Site, watch_context

REPO_DIR = Path(__file__).resolve().parents[2]


def _missing_tools() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not AXE_SOURCE.exists():
        missing.append(f"{AXE_SOURCE.relative_to(REPO_DIR)} (npm ci)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (pip install -r requirements.lock)")
    return missing


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Skip the browser suite where its tools are missing; fail instead where CI asks."""
    missing = _missing_tools()
    if not missing:
        return
    reason = "browser tests need " + ", ".join(missing)
    if os.environ.get("SEVA_REQUIRE_BROWSER_TESTS") == "1":
        pytest.fail(reason + " (SEVA_REQUIRE_BROWSER_TESTS=1)")
    pytest.skip(reason)


# ------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _browser_database(var_dir: Path) -> str:
    """A database URL of the server's own: a fresh PostgreSQL database when the suite runs
    on PostgreSQL, else a SQLite file in the server's folder."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{var_dir / 'seva.sqlite3'}"
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_browser"
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


SECOND_SITE = """
from wagtail.models import Site
from seva.portal.models import HomePage, SiteTheme
site, _ = Site.objects.update_or_create(
    hostname="localhost", port={port},
    defaults={{"root_page": HomePage.objects.get(), "site_name": "Haryana Pensions"}},
)
SiteTheme.objects.update_or_create(site=site, defaults={{"theme": "saffron"}})
"""


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def site_gateway(browser_tools) -> Iterator[FakeGatewayServer]:
    """The demo's fake payment gateway and bank (seva.demo.fakegateway), as `make run` starts
    it beside the server: here on a free port of loopback, in a thread of the test process, and
    an instance of the server's own (the unit tests' `fake_gateway` is reset by their tests).
    Its payment page is where the browser pays a fee (test_payments.py)."""
    # A line per request is the demo's log; in a failed test's output it hides what failed.
    logging.getLogger(fakegateway.__name__).setLevel(logging.WARNING)
    server = FakeGatewayServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site_environment(browser_tools, site_gateway, tmp_path_factory) -> dict[str, str]:
    """The environment the server and its manage.py commands run in: the development
    settings, with a folder and a database of the server's own, and the fake gateway's
    address and the demo's credentials for its payment gateway and e-challan bank."""
    var_dir = tmp_path_factory.mktemp("browser-site")
    return {
        **os.environ,
        **site_gateway.environ(),
        "DJANGO_SETTINGS_MODULE": "seva.config.settings.dev",
        "SEVA_VAR_DIR": str(var_dir),
        "DATABASE_URL": _browser_database(var_dir),
        # Tasks wait in the server's own folder; no worker is needed for these pages.
        "CELERY_BROKER_URL": "filesystem://localhost/",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="session")
def site(site_environment) -> Site:
    env = site_environment
    var_dir = Path(env["SEVA_VAR_DIR"])
    port = _free_port()
    for args in (
        ("migrate", "--noinput"),
        ("sync_definitions",),
        ("seed_demo", "--quiet"),
        # A second Wagtail Site on the same pages, reached as localhost, in the second theme.
        ("shell", "-c", SECOND_SITE.format(port=port)),
    ):
        _manage(env, *args)

    log_path = var_dir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base_url + "/login/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start:\n" + log_path.read_text())
            time.sleep(0.3)
        yield Site(
            base_url=base_url,
            log_path=log_path,
            second_theme_url=f"http://localhost:{port}",
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def site_manage(site, site_environment) -> Callable[..., str]:
    """manage.py against the running server's database, for a test that prepares data the
    browser cannot make quickly (files back-dated to be overdue): returns what it printed."""
    return functools.partial(_manage, site_environment)


# ------------------------------------------------------------------------------
# The browser
# ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def chromium(browser_tools):
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SCREENSHOT_DIR, ignore_errors=True)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@contextlib.contextmanager
def _browser_page(chromium, site: Site, base_url: str, test_name: str, *, javascript: bool):
    """A fresh browser context on a cheap phone's screen (360 CSS pixels wide), one page,
    listened to for policy violations and requests to other hosts (browser.audit)."""
    context = chromium.new_context(
        base_url=base_url,
        viewport={"width": 360, "height": 740},
        device_scale_factor=1,
        java_script_enabled=javascript,
        locale="en-IN",
    )
    context.set_default_timeout(15_000)
    watch_context(context, own_origins={site.base_url, site.second_theme_url})
    page = context.new_page()
    page.seva_test_name = test_name
    page.seva_javascript = javascript
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(chromium, site, request):
    with _browser_page(chromium, site, site.base_url, request.node.name, javascript=True) as page:
        yield page


@pytest.fixture
def second_theme_page(chromium, site, request):
    """A page on the second Wagtail Site, drawn in the saffron theme."""
    with _browser_page(
        chromium, site, site.second_theme_url, request.node.name, javascript=True
    ) as page:
        yield page


@pytest.fixture
def page_without_javascript(chromium, site, request):
    with _browser_page(chromium, site, site.base_url, request.node.name, javascript=False) as page:
        yield page
