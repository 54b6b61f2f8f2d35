"""The knowledge base on the bot page, in headless Chromium: upload a PDF through the form, watch it become ready,
test retrieval with one of its words, delete a document after the confirmation, and a 375 px layout that does not
overflow. Processing runs in the upload request here (the test settings run tasks inline)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from bots.tests.factories import BotFactory
from config.tests.browser import PHONE_VIEWPORT, VIEWPORT, new_page, wait_until
from documents.models import Document, DocumentStatus
from documents.tests.pdfgen import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "Welcome to the Aurora hotel. Check-in starts at three in the afternoon.",
    "The rooftop sauna opens at four and closes at ten. Towels are at the front desk.",
    "Breakfast is served from seven to eleven in the winter garden.",
]


@pytest.fixture
def context(browser, live_server) -> Iterator:
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


def test_upload_search_and_delete_on_the_bot_page(context, live_server, sign_in, user, media, screenshot):
    bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES", name="Aurora concierge")
    sign_in(context, user)
    page = new_page(context)
    page.goto(f"{live_server.url}/dashboard/bots/{bot.uuid}")
    page.wait_for_selector("#upload-form")
    assert "No documents yet" in page.inner_text("#documents")

    # Upload a three-page PDF and a note, with the form's file picker.
    page.set_input_files(
        "#upload-files",
        files=[
            {"name": "aurora-guide.pdf", "mimeType": "application/pdf", "buffer": make_pdf(PAGES)},
            {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Parking is free for guests.\n"},
        ],
    )
    page.get_by_role("button", name="Upload").click()
    guide = page.locator("#documents tr", has_text="aurora-guide.pdf")
    guide.locator(".badge-ready").wait_for()
    document = Document.objects.get(name="aurora-guide.pdf")
    assert document.status == DocumentStatus.READY
    cells = guide.locator("td.num").all_inner_texts()
    assert cells[0] == "3"  # pages
    assert cells[1] == str(document.word_count) != "0"  # words
    assert "Uploaded 2 files" in page.inner_text("#upload-status")
    # The form is emptied for the next upload, its progress bar hidden again (app.js, on htmx's afterRequest).
    expect(page.locator("#upload-files")).to_have_value("")
    expect(page.locator("#upload-form progress")).to_be_hidden()
    expect(page.locator("#bot-document-counts")).to_have_text("2 ready, 2 files stored")  # the Details card follows

    # The retrieval tester: one of the PDF's words finds its chunk, with a score and the document's name.
    page.get_by_label("Question").fill("sauna")
    page.get_by_role("button", name="Search").click()
    hit = page.locator("#search-results .search-hit").first
    hit.wait_for()
    assert hit.locator(".search-hit-document").inner_text() == "aurora-guide.pdf"
    assert hit.locator(".badge").inner_text().startswith("Score 0.")
    assert "rooftop sauna" in hit.inner_text()
    page.locator("#knowledge").scroll_into_view_if_needed()
    screenshot(page, "knowledge", full_page=True)

    # Delete the note, after the browser's confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete notes.txt").click()
    page.locator("#documents tr", has_text="notes.txt").wait_for(state="detached")
    wait_until(lambda: not Document.objects.filter(name="notes.txt").exists(), message="the note deleted")
    assert "Deleted notes.txt." in page.inner_text("#knowledge-status")
    expect(page.locator("#bot-document-counts")).to_have_text("1 ready, 1 file stored")
    assert not (media / "uploads" / bot.uuid / "notes.txt").exists()
    assert guide.is_visible()

    # A phone: the table scrolls inside its wrapper, the page itself never sideways.
    page.set_viewport_size(PHONE_VIEWPORT)
    page.locator("#knowledge").scroll_into_view_if_needed()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # It says so, is a labelled region the keyboard can scroll, and each row's actions stay in view.
    expect(page.locator("#documents-scroll-hint")).to_be_visible()
    expect(page.get_by_role("region", name=re.compile(r"^Documents of .*, scrolls sideways$"))).to_have_attribute(
        "tabindex", "0"
    )
    delete = page.get_by_role("button", name=re.compile(r"^Delete ")).first
    box = delete.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE_VIEWPORT["width"]
    screenshot(page, "knowledge-375", full_page=True)

    assert page.console_log.errors() == []
