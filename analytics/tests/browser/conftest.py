"""Headless Chromium (Debian's, at /usr/bin/chromium: no browser downloads) driven by Playwright's sync API,
against pytest-django's live server.

The page under test is loaded from http://127.0.0.1:<port> while the embed code's script (and so the widget's
API) is on http://localhost:<port>: two origins, as on a customer's site.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

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
SCREENSHOTS = Path(django_settings.BASE_DIR) / "artifacts" / "browser"
VAPI_PUBLIC_KEY = "pk-test-0f4c2a1e"

# A stand-in for VAPI's script-tag SDK, installed before any script of the page runs. Like the real one
# (github.com/VapiAI/html-script-tag, src/index.js), run() returns a Vapi-like object and draws a button of its
# own (#vapi-support-btn); start() connects (call-start), then the caller speaks: a partial and a final user
# transcript and the assistant's answer; stop() hangs up (call-end). Calls are recorded in window.__fakeVapiCalls,
# and window.__fakeVapi.emit() lets a test play further events.
FAKE_VAPI = """
(() => {
  window.__fakeVapiCalls = [];
  const record = (method, args) => window.__fakeVapiCalls.push({ method, args: JSON.parse(JSON.stringify(args)) });
  window.vapiSDK = {
    run(options) {
      record("run", [options]);
      const handlers = {};
      const vapi = {
        on(name, handler) { (handlers[name] = handlers[name] || []).push(handler); },
        emit(name, payload) { (handlers[name] || []).forEach((handler) => handler(payload)); },
        start(assistant, overrides) {
          record("start", [assistant, overrides === undefined ? null : overrides]);
          setTimeout(() => {
            vapi.emit("call-start");
            vapi.emit("message", { type: "transcript", role: "user", transcriptType: "partial",
                                   transcript: "What are" });
            vapi.emit("message", { type: "transcript", role: "user", transcriptType: "final",
                                   transcript: "What are your opening hours?" });
            vapi.emit("message", { type: "transcript", role: "assistant", transcriptType: "final",
                                   transcript: "We are open from nine to five." });
          }, 50);
          return Promise.resolve();
        },
        stop() { record("stop", []); setTimeout(() => vapi.emit("call-end"), 20); },
      };
      const button = document.createElement("button");
      button.id = "vapi-support-btn";
      button.textContent = "SDK button";
      document.body.appendChild(button);
      window.__fakeVapi = vapi;
      return vapi;
    },
  };
})();
"""


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


@pytest.fixture
def origins(settings, live_server) -> SimpleNamespace:
    """The app as the widget's host: embed codes name ``origins.api`` (http://localhost:<port>), pages are
    opened at ``origins.page`` (http://127.0.0.1:<port>), and VAPI's public key is known."""
    port = live_server.url.rsplit(":", 1)[1]
    settings.PUBLIC_BASE_URL = f"http://localhost:{port}"
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.VAPI_PUBLIC_KEY = VAPI_PUBLIC_KEY
    cache.clear()  # the widget routes' rate limit counts per address, across tests
    return SimpleNamespace(page=f"http://127.0.0.1:{port}", api=f"http://localhost:{port}")


class ConsoleLog(list):
    """Console messages and uncaught errors of a page, as "type: text"."""

    def errors(self) -> list[str]:
        return [entry for entry in self if entry.startswith(("error:", "pageerror:"))]


@pytest.fixture
def context(browser, origins) -> Iterator:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(FAKE_VAPI)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page of the test's context (closed with it), with its console kept in ``page.console_log``."""
    page = context.new_page()
    page.set_default_timeout(10_000)
    log = ConsoleLog()
    page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: log.append(f"pageerror: {error}"))
    page.console_log = log
    return page


@pytest.fixture
def screenshot() -> Callable:
    def take(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(target))
        return target

    return take


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
