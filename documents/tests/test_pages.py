"""The knowledge base on the dashboard (documents/pages.py): the bot page's knowledge section and its partials,
uploads with the API's checks, download, delete, website re-sync, the retrieval tester and the storage figure."""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import NoReverseMatch, reverse

from bots.tests.factories import BotFactory
from documents.models import Document, DocumentStatus
from documents.services import bot_document_counters_refresh, bot_website_sync, document_index_text
from documents.tests.factories import DocumentFactory
from documents.tests.pdfgen import make_pdf
from documents.tests.test_website import site  # noqa: F401  (the local website fixture)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
POLLING = 'hx-trigger="every 2s"'


@pytest.fixture
def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_file(name="faq.txt", content=b"Opening hours are 9 to 5, Monday to Friday.\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def pdf_file(name="manual.pdf"):
    pages = ["The espresso machine needs descaling every month.", "Warranty covers the boiler for two years."]
    return SimpleUploadedFile(name, make_pdf(pages), content_type="application/pdf")


def upload(client, bot, *files, headers=HTMX, execute=None):
    url = reverse("dashboard-bot-upload", args=[bot.uuid])
    return client.post(url, {"files": list(files)}, headers=headers)


def stored_files(media) -> list:
    return [path for path in (media / "uploads").rglob("*") if path.is_file()] if (media / "uploads").exists() else []


def bot_page_exists() -> bool:
    try:
        reverse("dashboard-bot", args=["x"])
    except NoReverseMatch:
        return False
    return True


needs_bot_page = pytest.mark.skipif(not bot_page_exists(), reason="the bot page (dashboard-bot) is not there yet")


def urls(bot, document) -> list[tuple[str, str]]:
    return [
        ("get", reverse("dashboard-bot-knowledge", args=[bot.uuid])),
        ("get", reverse("dashboard-bot-documents", args=[bot.uuid])),
        ("post", reverse("dashboard-bot-upload", args=[bot.uuid])),
        ("post", reverse("dashboard-bot-resync", args=[bot.uuid])),
        ("get", reverse("dashboard-bot-search", args=[bot.uuid]) + "?q=hours"),
        ("get", reverse("dashboard-document-download", args=[document.pk])),
        ("post", reverse("dashboard-document-delete", args=[document.pk])),
    ]


# --- Who may see what ------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, rag_bot):
    document = DocumentFactory(bot=rag_bot)
    for method, url in [*urls(rag_bot, document), ("get", reverse("dashboard-storage"))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/sign-in?next="), url
    assert Document.objects.filter(pk=document.pk).exists()


def test_another_users_bot_or_document_is_404_everywhere(user, other_user, rag_bot, media):
    document = DocumentFactory(bot=rag_bot)
    default_storage.save(document.file_path, text_file())
    stranger = Client()
    stranger.force_login(other_user)
    for method, url in urls(rag_bot, document):
        for headers in (HTMX, {}):
            data = {"files": [text_file()]} if url.endswith("/upload") else {}
            response = getattr(stranger, method)(url, data, headers=headers)
            assert response.status_code == 404, (method, url)
    assert Document.objects.filter(pk=document.pk).exists()
    assert not Document.objects.exclude(pk=document.pk).exists()
    assert default_storage.exists(document.file_path)


@pytest.mark.parametrize("name", ["upload", "delete", "resync"])
def test_every_post_needs_the_csrf_token(user, rag_bot, media, name):
    document = DocumentFactory(bot=rag_bot)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = {
        "upload": reverse("dashboard-bot-upload", args=[rag_bot.uuid]),
        "delete": reverse("dashboard-document-delete", args=[document.pk]),
        "resync": reverse("dashboard-bot-resync", args=[rag_bot.uuid]),
    }[name]

    response = client.post(url, {"files": [text_file()]} if name == "upload" else {}, headers=HTMX)

    assert response.status_code == 403
    assert Document.objects.get() == document
    assert not stored_files(media)


def test_an_upload_with_htmxs_csrf_header_is_accepted(user, rag_bot, media, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("dashboard-bot-knowledge", args=[rag_bot.uuid]), headers=HTMX)  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, rag_bot, text_file(), headers={**HTMX, "X-CSRFToken": token})

    assert response.status_code == 200
    assert Document.objects.get(bot=rag_bot).status == DocumentStatus.READY


# --- The knowledge section --------------------------------------------------------------------------------------


def test_the_section_shows_the_files_source_the_upload_form_and_the_empty_state(page_client, rag_bot, settings):
    settings.MAX_UPLOAD_MB = 7

    html = page_client.get(reverse("dashboard-bot-knowledge", args=[rag_bot.uuid]), headers=HTMX).content.decode()

    assert "Source: uploaded files" in html
    assert 'id="upload-form"' in html
    assert 'hx-encoding="multipart/form-data"' in html
    assert "data-upload-progress" in html
    assert '<progress hidden max="100"' in html
    assert 'accept=".pdf,.docx,.html,.htm,.csv,.json,.md,.markdown,.txt"' in html
    assert "up to 7 MB each" in html
    assert 'name="files" multiple' in html
    assert "No documents yet — upload PDF, DOCX, TXT, MD, CSV, JSON or HTML" in html
    assert "Re-sync website" not in html
    assert 'id="search-results" class="search-results" aria-live="polite"' in html
    assert 'id="upload-status" class="knowledge-status" role="status" aria-live="polite"' in html
    assert "<html" not in html  # a fragment
    for control in ("upload-files", "search-q"):
        assert f'<label for="{control}">' in html


def test_rag_off_says_so_and_how_to_turn_it_on(page_client, user):
    bot = BotFactory(user=user, rag_enabled=False)

    html = page_client.get(reverse("dashboard-bot-knowledge", args=[bot.uuid]), headers=HTMX).content.decode()

    assert "RAG is off" in html
    assert "turn on\n      <strong>RAG</strong> in the bot's settings form above" in html
    assert 'id="upload-form"' not in html


def test_a_website_bot_shows_its_url_and_the_resync_button(page_client, user):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="URL", rag_url="https://example.com/")

    html = page_client.get(reverse("dashboard-bot-knowledge", args=[bot.uuid]), headers=HTMX).content.decode()

    assert "https://example.com/" in html
    assert "Re-sync website" in html
    assert f'hx-post="{reverse("dashboard-bot-resync", args=[bot.uuid])}"' in html


def test_the_table_shows_every_column_and_a_failed_documents_reason(page_client, rag_bot):
    DocumentFactory(bot=rag_bot, name="menu.pdf", pages=3, word_count=1234, size=2048)
    DocumentFactory(
        bot=rag_bot, name="broken.pdf", status=DocumentStatus.FAILED, error="The PDF is encrypted", processed_at=None
    )

    html = page_client.get(reverse("dashboard-bot-documents", args=[rag_bot.uuid]), headers=HTMX).content.decode()

    assert "menu.pdf" in html
    assert "broken.pdf" in html
    assert '<span class="badge badge-ready">Ready</span>' in html
    assert '<span class="badge badge-failed">Failed</span>' in html
    assert "The PDF is encrypted" in html
    assert '<td class="num">3</td>' in html
    assert '<td class="num">1234</td>' in html
    assert "2.0\xa0KB" in html
    assert "<time datetime=" in html
    assert 'hx-confirm="Delete menu.pdf?"' in html
    assert html.count(">Download<") == 2
    assert 'class="table-wrap"' in html
    assert POLLING not in html


def test_the_table_polls_while_a_document_is_processing_and_stops_when_done(page_client, rag_bot):
    document = DocumentFactory(bot=rag_bot, status=DocumentStatus.PROCESSING, processed_at=None)
    url = reverse("dashboard-bot-documents", args=[rag_bot.uuid])

    html = page_client.get(url, headers=HTMX).content.decode()
    assert POLLING in html
    assert f'hx-get="{url}"' in html
    assert "badge-processing badge-spinner" in html

    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.READY)
    assert POLLING not in page_client.get(url, headers=HTMX).content.decode()


# --- Uploads ------------------------------------------------------------------------------------------------------


def test_uploads_are_stored_processed_and_shown_ready(page_client, rag_bot, media, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(page_client, rag_bot, text_file(), pdf_file())

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="upload-status" hx-swap-oob="innerHTML"' in html
    assert "Uploaded 2 files: faq.txt, manual.pdf." in html
    assert html.count("badge-pending badge-spinner") == 2  # the test runs the queued processing after the view
    assert POLLING in html
    documents = {d.name: d for d in Document.objects.filter(bot=rag_bot)}
    assert set(documents) == {"faq.txt", "manual.pdf"}
    assert {d.status for d in documents.values()} == {DocumentStatus.READY}
    assert documents["manual.pdf"].pages == 2
    assert (media / "uploads" / rag_bot.uuid / "manual.pdf").exists()

    polled = page_client.get(reverse("dashboard-bot-documents", args=[rag_bot.uuid]), headers=HTMX).content.decode()
    assert polled.count('<span class="badge badge-ready">Ready</span>') == 2
    assert '<td class="num">2</td>' in polled
    assert f'<td class="num">{documents["manual.pdf"].word_count}</td>' in polled
    assert POLLING not in polled


def test_a_queued_upload_is_shown_pending_and_polled(page_client, rag_bot, media):
    response = upload(page_client, rag_bot, text_file())  # processing is queued after the commit, never run here

    html = response.content.decode()
    assert "badge-pending badge-spinner" in html
    assert POLLING in html


def test_too_large_is_shown_beside_the_form_and_nothing_is_stored(page_client, rag_bot, media, settings):
    settings.MAX_UPLOAD_MB = 1

    response = upload(page_client, rag_bot, text_file(), text_file("big.txt", b"a" * (1024 * 1024 + 1)))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="upload-status" hx-swap-oob="innerHTML"' in html
    alert = '<p class="alert" role="alert"><strong>File too large (max 1 MB).</strong> big.txt is larger than 1 MB'
    assert alert in html
    assert not Document.objects.exists()
    assert not stored_files(media)


def test_too_large_is_refused_while_it_arrives_and_csrf_still_holds(user, rag_bot, media, settings):
    """The handler refuses the body before the CSRF middleware could read the form's token: the view checks CSRF
    itself, from htmx's header."""
    settings.MAX_UPLOAD_MB = 1
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("dashboard-bot-knowledge", args=[rag_bot.uuid]), headers=HTMX)
    big = text_file("big.txt", b"a" * (1024 * 1024 + 1))

    refused = upload(client, rag_bot, big, headers=HTMX)
    big.seek(0)
    shown = upload(client, rag_bot, big, headers={**HTMX, "X-CSRFToken": client.cookies["csrftoken"].value})

    assert refused.status_code == 403
    assert shown.status_code == 200
    assert "File too large (max 1 MB)." in shown.content.decode()
    assert not Document.objects.exists()


def test_too_large_without_javascript_is_a_message_on_the_bot_page(user, rag_bot, media, settings):
    # A plain form post: the token is in the body, before the file; the file is skipped, the token still read.
    settings.MAX_UPLOAD_MB = 1
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("dashboard-bot", args=[rag_bot.uuid]))
    token = client.cookies["csrftoken"].value
    big = text_file("big.txt", b"a" * (1024 * 1024 + 1))

    response = client.post(
        reverse("dashboard-bot-upload", args=[rag_bot.uuid]),
        {"csrfmiddlewaretoken": token, "files": [big, text_file()]},
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith(reverse("dashboard-bot", args=[rag_bot.uuid]))
    assert "File too large (max 1 MB). big.txt is larger than 1 MB" in response.content.decode()
    assert not Document.objects.exists()
    assert not stored_files(media)


@pytest.mark.parametrize(
    ("name", "content"), [("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"), ("invoice.pdf", b"not a pdf at all")]
)
def test_a_wrong_type_is_shown_and_nothing_is_stored(page_client, rag_bot, media, name, content):
    response = upload(page_client, rag_bot, text_file(), SimpleUploadedFile(name, content))

    html = response.content.decode()
    assert "<strong>File type not allowed.</strong>" in html
    assert name in html
    assert not Document.objects.exists()
    assert not stored_files(media)


def test_uploading_without_files_or_without_rag_says_why(page_client, user, rag_bot, media):
    response = page_client.post(reverse("dashboard-bot-upload", args=[rag_bot.uuid]), {}, headers=HTMX)
    assert "No files provided" in response.content.decode()

    bot = BotFactory(user=user, rag_enabled=False)
    assert "RAG not enabled" in upload(page_client, bot, text_file()).content.decode()
    assert not Document.objects.exists()


@needs_bot_page
def test_without_htmx_an_upload_returns_to_the_bot_page_with_a_message(page_client, rag_bot, media):
    response = upload(page_client, rag_bot, SimpleUploadedFile("setup.exe", b"MZ\x90\x00"), headers={})

    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/bots/{rag_bot.uuid}#knowledge"
    follow = page_client.get(response["Location"])
    assert "File type not allowed." in follow.content.decode()


# --- Download, delete, re-sync ----------------------------------------------------------------------------------


def test_download_has_the_api_routes_headers(page_client, client_for, user, rag_bot, media):
    upload(page_client, rag_bot, pdf_file("Q&A 2024.pdf"))
    document = Document.objects.get()

    response = page_client.get(reverse("dashboard-document-download", args=[document.pk]))
    api = client_for(user).get(f"/api/bots/{rag_bot.uuid}/files/{document.name}")

    assert response.status_code == api.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == b"".join(api.streaming_content)
        == make_pdf(["The espresso machine needs descaling every month.", "Warranty covers the boiler for two years."])
    )
    for header in ("Content-Type", "Content-Disposition", "Cache-Control", "X-Bot-UUID", "X-File-Name"):
        assert response[header] == api[header], header
    assert response["Content-Disposition"] == 'attachment; filename="Q&A 2024.pdf"'
    assert response["Content-Type"] == "application/pdf"


def test_download_of_a_crawled_page_or_a_lost_file_is_404(page_client, rag_bot, media):
    page = DocumentFactory(bot=rag_bot, file_path=None, source_url="https://example.com/")
    lost = DocumentFactory(bot=rag_bot)

    for document in (page, lost):
        assert page_client.get(reverse("dashboard-document-download", args=[document.pk])).status_code == 404


def test_delete_removes_the_document_and_its_original(page_client, rag_bot, media, django_capture_on_commit_callbacks):
    upload(page_client, rag_bot, text_file(), text_file("keep.txt"))
    document = Document.objects.get(name="faq.txt")

    with django_capture_on_commit_callbacks(execute=True):
        response = page_client.post(reverse("dashboard-document-delete", args=[document.pk]), headers=HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "faq.txt" not in html.split('id="knowledge-status"')[0]
    assert "keep.txt" in html
    assert "Deleted faq.txt." in html
    assert list(Document.objects.values_list("name", flat=True)) == ["keep.txt"]
    assert not (media / "uploads" / rag_bot.uuid / "faq.txt").exists()
    rag_bot.refresh_from_db()
    assert rag_bot.local_files_stored == 1


@needs_bot_page
def test_without_htmx_delete_returns_to_the_bot_page(page_client, rag_bot):
    document = DocumentFactory(bot=rag_bot)

    response = page_client.post(reverse("dashboard-document-delete", args=[document.pk]))

    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/bots/{rag_bot.uuid}#knowledge"
    assert not Document.objects.exists()


def test_delete_and_resync_are_post_only(page_client, rag_bot):
    document = DocumentFactory(bot=rag_bot)
    assert page_client.get(reverse("dashboard-document-delete", args=[document.pk])).status_code == 405
    assert page_client.get(reverse("dashboard-bot-resync", args=[rag_bot.uuid])).status_code == 405
    assert page_client.get(reverse("dashboard-bot-upload", args=[rag_bot.uuid])).status_code == 405


@pytest.mark.usefixtures("site")
def test_resync_crawls_the_website_and_the_table_watches_until_it_ends(
    page_client, user, httpserver, django_capture_on_commit_callbacks
):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="URL", rag_url=httpserver.url_for("/"))

    with django_capture_on_commit_callbacks(execute=True):
        response = page_client.post(reverse("dashboard-bot-resync", args=[bot.uuid]), headers=HTMX)

    # The test runs the queued crawl after the view: the answer is that of a crawl still running.
    html = response.content.decode()
    assert response.status_code == 200
    assert "Website sync started." in html
    assert POLLING in html
    assert "?sync_since=" in html
    assert "The website is being crawled" in html
    assert Document.objects.filter(bot=bot, status=DocumentStatus.READY).count() == 3

    watching = re.search(r'hx-get="([^"]+)"', html).group(1)
    html = page_client.get(watching, headers=HTMX).content.decode()
    assert httpserver.url_for("/spa") in html
    assert POLLING not in html


@pytest.mark.usefixtures("site")
def test_a_resync_that_never_ran_is_watched_for_a_while_only(page_client, user, httpserver):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="URL", rag_url=httpserver.url_for("/"))
    url = reverse("dashboard-bot-documents", args=[bot.uuid])

    assert POLLING in page_client.get(url, {"sync_since": time.time() - 60}, headers=HTMX).content.decode()
    assert POLLING not in page_client.get(url, {"sync_since": time.time() - 3600}, headers=HTMX).content.decode()
    assert POLLING not in page_client.get(url, {"sync_since": "soon"}, headers=HTMX).content.decode()
    bot_website_sync(bot_id=bot.pk)
    assert POLLING not in page_client.get(url, {"sync_since": time.time() - 60}, headers=HTMX).content.decode()


def test_resync_of_a_files_bot_says_why(page_client, rag_bot):
    html = page_client.post(reverse("dashboard-bot-resync", args=[rag_bot.uuid]), headers=HTMX).content.decode()

    assert "knowledge base is not a website" in html
    assert 'role="alert"' in html


# --- Retrieval tester -------------------------------------------------------------------------------------------


def test_search_shows_the_top_chunks_with_scores_and_document_names(
    page_client, rag_bot, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(page_client, rag_bot, text_file(), pdf_file())
    url = reverse("dashboard-bot-search", args=[rag_bot.uuid])

    html = page_client.get(url, {"q": "how often is descaling needed"}, headers=HTMX).content.decode()

    assert '<strong class="search-hit-document">manual.pdf</strong>' in html
    assert re.search(r"Score 0\.\d{3}</span>", html)
    assert "descaling every month" in html
    assert "<html" not in html


def test_search_without_matches_says_so_and_hints_when_nothing_is_ready(page_client, rag_bot):
    url = reverse("dashboard-bot-search", args=[rag_bot.uuid])

    html = page_client.get(url, {"q": "sauna"}, headers=HTMX).content.decode()
    assert "No chunk matches" in html
    assert "no ready document yet" in html

    DocumentFactory(bot=rag_bot)
    bot_document_counters_refresh(bot=rag_bot)
    html = page_client.get(url, {"q": "sauna"}, headers=HTMX).content.decode()
    assert "No chunk matches" in html
    assert "no ready document yet" not in html

    assert "Type a question" in page_client.get(url, {"q": ""}, headers=HTMX).content.decode()


@needs_bot_page
def test_without_htmx_a_partial_comes_inside_the_layout(page_client, rag_bot):
    html = page_client.get(reverse("dashboard-bot-search", args=[rag_bot.uuid]), {"q": "sauna"}).content.decode()

    assert "<html" in html
    assert "No chunk matches" in html


# --- Storage --------------------------------------------------------------------------------------------------------


def test_storage_sums_the_owners_documents_only(page_client, user, other_user, rag_bot):
    DocumentFactory(bot=rag_bot, size=1024 * 1024)
    DocumentFactory(bot=BotFactory(user=user, rag_enabled=True), size=512 * 1024)
    DocumentFactory(bot=rag_bot, size=1024, file_path=None, source_url="https://example.com/")
    DocumentFactory(bot=BotFactory(user=other_user, rag_enabled=True), size=50 * 1024 * 1024)

    html = page_client.get(reverse("dashboard-storage"), headers=HTMX).content.decode().strip()

    assert re.fullmatch(r'<div class="stat" id="storage-stat">.*</div>', html, flags=re.S)
    assert html.count("<div") == 1
    assert '<p class="stat-label">Storage used</p>' in html
    assert '<p class="stat-value">1.5\xa0MB</p>' in html
    assert '<p class="stat-note">2 files · 1 web page</p>' in html


def test_storage_of_a_new_user_is_zero(page_client):
    html = page_client.get(reverse("dashboard-storage"), headers=HTMX).content.decode()

    assert "0\xa0bytes" in html
    assert "0 files" in html


# --- Queries: constant, whatever the number of documents ------------------------------------------------------------

# session + user, the bot, its documents (or the search, or the one aggregate).
QUERIES = {
    "dashboard-bot-knowledge": 4,
    "dashboard-bot-documents": 4,
    "dashboard-bot-search": 4,
    "dashboard-storage": 3,
}


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_partial_costs_a_constant_number_of_queries(page_client, rag_bot, django_assert_num_queries, name):
    url = reverse(name) if name == "dashboard-storage" else reverse(name, args=[rag_bot.uuid])
    query = {"q": "hours"} if name == "dashboard-bot-search" else {}
    for count in (1, 5):
        Document.objects.all().delete()
        for _ in range(count):
            document_index_text(document=DocumentFactory(bot=rag_bot), text="Opening hours are 9 to 5.")
        DocumentFactory(bot=rag_bot, status=DocumentStatus.PROCESSING)
        with django_assert_num_queries(QUERIES[name]):
            response = page_client.get(url, query, headers=HTMX)
        assert response.status_code == 200
        if name == "dashboard-bot-search":
            assert "search-hit-document" in response.content.decode()


# session + user, the document, the delete (savepoint, the bot's row locked, chunks, row, recount, bot counters,
# release), the table.
DELETE_QUERIES = 11


# session + user, the bot, the upload (savepoint, the bot's row locked, file's row, recount, bot counters, release),
# the table.
UPLOAD_QUERIES = 10
# session + user, the bot, the request (savepoint, release; the crawl is queued), the bot again, the table.
RESYNC_QUERIES = 7


def test_upload_costs_a_constant_number_of_queries(page_client, rag_bot, media, django_assert_num_queries):
    for count in (1, 5):
        Document.objects.all().delete()
        for _ in range(count):
            DocumentFactory(bot=rag_bot)
        with django_assert_num_queries(UPLOAD_QUERIES):
            response = upload(page_client, rag_bot, text_file(f"new-{count}.txt"))
        assert "Uploaded 1 file" in response.content.decode()


def test_resync_costs_a_constant_number_of_queries(page_client, user, django_assert_num_queries):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="URL", rag_url="https://example.com/")
    for count in (1, 5):
        Document.objects.all().delete()
        for index in range(count):
            DocumentFactory(bot=bot, file_path=None, source_url=f"https://example.com/{index}")
        with django_assert_num_queries(RESYNC_QUERIES):
            response = page_client.post(reverse("dashboard-bot-resync", args=[bot.uuid]), headers=HTMX)
        assert "Website sync started." in response.content.decode()


def test_delete_costs_a_constant_number_of_queries(page_client, rag_bot, django_assert_num_queries):
    for count in (1, 5):
        Document.objects.all().delete()
        documents = [DocumentFactory(bot=rag_bot) for _ in range(count + 1)]
        with django_assert_num_queries(DELETE_QUERIES):
            response = page_client.post(reverse("dashboard-document-delete", args=[documents[0].pk]), headers=HTMX)
        assert response.status_code == 200
