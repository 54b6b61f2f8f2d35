"""Headless Chromium (Debian's, at /usr/bin/chromium: no browser downloads) driven by Playwright's sync API,
against pytest-django's live server.

The page under test is loaded from http://127.0.0.1:<port> while the embed code's script (and so the widget's
API) is on http://localhost:<port>: two origins, as on a customer's site.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from config.tests.browser import VIEWPORT, new_page

VAPI_PUBLIC_KEY = "pk-test-0f4c2a1e"

# A stand-in for VAPI's SDK, installed before any script of the page runs (so the widget does not load the vendored
# one, public/js/vendor/: accounts/tests/browser/test_csp.py runs that). Like it (scripts/vapi-sdk/entry.js), run()
# returns a Vapi-like object; like VAPI's former script-tag SDK, it also draws a button of its own
# (#vapi-support-btn), which the widget must keep hidden. start() connects (call-start), then the caller speaks: a
# partial and a final user transcript and the assistant's answer; stop() hangs up (call-end). Calls are recorded
# in window.__fakeVapiCalls, and window.__fakeVapi.emit() lets a test play further events.
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


@pytest.fixture
def context(browser, origins) -> Iterator:
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(FAKE_VAPI)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return new_page(context)
