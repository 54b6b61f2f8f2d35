"""Browser-test fixtures shared by every app (a pytest plugin, loaded by the root conftest.py): headless Chromium
(Debian's, at /usr/bin/chromium: no browser downloads) driven by Playwright's sync API, against pytest-django's
live server on the test database (PostgreSQL).

- ``browser``: one Chromium per test module.
- ``new_page(context)``: a page with a 10 s default timeout whose console is kept in ``page.console_log``, with
  every Content-Security-Policy violation of its documents in it too (so ``errors()`` is empty only without any).
- ``screenshot(page, name)``: saves ``artifacts/browser/<name>.png`` (git-ignored).
- ``sign_in(context, user)``: a Django session for ``user``, as a cookie of the live server (the login form itself
  is tested once, in accounts/tests/browser).
- ``wait_until(condition)``: poll e.g. a database read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
PHONE_VIEWPORT = {"width": 375, "height": 740}
SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "browser"


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One Chromium for the module. Playwright's sync API keeps an asyncio loop running in this thread, which
    Django would take for an async context and refuse ORM calls in: allowed for these tests only."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `apt-get install chromium` (or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


class ConsoleLog(list):
    """Console messages, uncaught errors and CSP violations of a page, as "type: text"."""

    def errors(self) -> list[str]:
        return [entry for entry in self if entry.startswith(("error:", "pageerror:", "csp:"))]

    def csp_violations(self) -> list[str]:
        return [entry for entry in self if entry.startswith("csp:")]


# Chromium also logs a violation as a console error ("Refused to …"); the event says it in a form a test can read,
# and is fired for report-only policies too.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.disposition} ${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"}`
      + ` on ${event.documentURI} (${event.sourceFile || "?"}:${event.lineNumber})`
  );
});
"""


def new_page(context):
    """A page of ``context`` (closed with it), with its console kept in ``page.console_log``."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    log = ConsoleLog()
    page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: log.append(f"pageerror: {error}"))
    page.expose_function("__reportCspViolation", lambda text: log.append(f"csp: {text}"))
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.console_log = log
    return page


@pytest.fixture
def screenshot() -> Callable:
    def take(page, name: str, *, full_page: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(target), full_page=full_page)
        return target

    return take


@pytest.fixture
def sign_in(live_server) -> Callable:
    """``sign_in(context, user)``: the context's requests to the live server are signed in as ``user``."""
    from django.test import Client

    def add_session(context, user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return add_session


def wait_until(condition: Callable[[], object], *, timeout: float = 5.0, message: str = "condition") -> object:
    """Poll ``condition`` (e.g. a database read) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)
