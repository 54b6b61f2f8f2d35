"""Signing in through the login form in a real browser (no Clerk configured), and out again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from config.tests.browser import PHONE_VIEWPORT, VIEWPORT, new_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-local-password-42"


@pytest.fixture
def account():
    user = UserFactory(email="ada@example.com")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_sign_in_comes_back_to_the_page_asked_for_then_sign_out(browser, live_server, account, screenshot):
    context = browser.new_context(viewport=VIEWPORT)
    page = new_page(context)

    page.goto(f"{live_server.url}/dashboard/analytics")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=/dashboard/analytics")
    screenshot(page, "sign-in")

    # Keyboard only: the labels name the fields, Enter submits.
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct email and password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # (The analytics page then adds the browser's time zone to its address.)
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/dashboard/analytics") + r"(\?tz=[\w%/]+)?$"))
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics")).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/dashboard")
    expect(page).to_have_url(f"{live_server.url}/sign-in?next=/dashboard")
    assert page.console_log.errors() == []
    context.close()


def test_the_landing_and_sign_in_pages_fit_a_phone(browser, live_server, db, screenshot):
    context = browser.new_context(viewport=PHONE_VIEWPORT)
    page = new_page(context)

    for path, name in (("/", "home-375"), ("/sign-in", "sign-in-375")):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        screenshot(page, name)
    assert page.console_log.errors() == []
    context.close()
