"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright's sync API against pytest-django's live
server on PostgreSQL, with VAPI played by pytest-httpserver (the ``vapi`` fixture of bots/tests/conftest.py). Tasks
run eagerly, so activations happen inside the live server's requests. The browser's time zone is Paris, to see
that a scheduled activation is read in the visitor's zone, not the server's (UTC)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from config.tests.browser import VIEWPORT, new_page

BROWSER_TIME_ZONE = "Europe/Paris"


@pytest.fixture
def context(browser, live_server, settings) -> Iterator:
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    context = browser.new_context(viewport=VIEWPORT, timezone_id=BROWSER_TIME_ZONE, locale="en-GB")
    yield context
    context.close()


@pytest.fixture
def page(context):
    return new_page(context)
