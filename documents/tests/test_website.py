"""A bot whose knowledge base is a website: pages crawled from a local site become documents; a re-sync replaces
only what changed and removes what is gone."""

from __future__ import annotations

import pytest

from bots.models import Bot
from bots.tests.factories import BotFactory
from documents.models import Document, DocumentStatus
from documents.search import search_chunks
from documents.services import bot_website_sync

pytestmark = pytest.mark.django_db

HTML = "text/html; charset=utf-8"


@pytest.fixture
def site(httpserver, settings):
    settings.CRAWL_ALLOW_LOOPBACK = True  # the local test site is on 127.0.0.1
    pages = {
        "/": (
            "<html><head><title>Hotel Aurora</title></head>"
            '<body><a href="/rooms">Rooms</a> <a href="/spa">Spa</a></body></html>'
        ),
        "/rooms": "<html><body><h1>Rooms</h1><p>Our suites have a view of the lake.</p></body></html>",
        "/spa": "<html><body><h1>Spa</h1><p>The sauna opens at 4 pm.</p></body></html>",
    }

    def serve(**changes: str | None) -> None:
        httpserver.clear()
        httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
        for path, body in {**pages, **changes}.items():
            if body is not None:
                httpserver.expect_request(path).respond_with_data(body, content_type=HTML)

    serve()
    return serve


@pytest.fixture
def bot(user, site, httpserver):
    return BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="URL", rag_url=httpserver.url_for("/"))


def _pages(bot) -> dict[str, Document]:
    return {document.source_url.rsplit("/", 1)[-1]: document for document in Document.objects.filter(bot=bot)}


def test_pages_become_searchable_documents(bot, httpserver):
    result = bot_website_sync(bot_id=bot.pk)

    assert (result.added, result.error) == (3, None)
    pages = _pages(bot)
    assert set(pages) == {"", "rooms", "spa"}
    assert pages["spa"].name == httpserver.url_for("/spa")
    assert pages["spa"].status == DocumentStatus.READY
    assert "The sauna opens at 4 pm." in pages["spa"].content
    assert search_chunks(bot=bot, query="when does the sauna open", limit=1)[0].document_name.endswith("/spa")
    bot.refresh_from_db()
    assert bot.documents_processed == 3
    assert bot.knowledge_synced_at is not None


def test_a_resync_replaces_only_changed_pages_and_removes_gone_ones(bot, site):
    bot_website_sync(bot_id=bot.pk)
    before = _pages(bot)
    site(
        **{
            "/": '<html><head><title>Hotel Aurora</title></head><body><a href="/spa">Spa</a></body></html>',
            "/spa": "<html><body><p>The sauna now opens at 5 pm.</p></body></html>",
            "/rooms": None,
        }
    )

    result = bot_website_sync(bot_id=bot.pk)

    after = _pages(bot)
    assert (result.added, result.updated, result.removed) == (0, 2, 1)
    assert set(after) == {"", "spa"}
    assert "5 pm" in after["spa"].content
    assert after["spa"].pk == before["spa"].pk  # updated in place


def test_an_unchanged_site_changes_nothing(bot):
    bot_website_sync(bot_id=bot.pk)
    processed = dict(Document.objects.values_list("pk", "processed_at"))

    result = bot_website_sync(bot_id=bot.pk)

    assert (result.unchanged, result.updated, result.added, result.removed) == (3, 0, 0, 0)
    assert dict(Document.objects.values_list("pk", "processed_at")) == processed


def test_a_crawl_that_dies_while_indexing_a_page_leaves_the_page_as_it_was(bot, site, monkeypatch):
    from documents import services

    bot_website_sync(bot_id=bot.pk)
    site(**{"/spa": "<html><body><h1>Spa</h1><p>The sauna now opens at 5 pm.</p></body></html>"})

    def killed(*args, **kwargs):
        raise RuntimeError("the worker was killed here")

    monkeypatch.setattr(services, "_insert_chunks", killed)
    with pytest.raises(RuntimeError):
        bot_website_sync(bot_id=bot.pk)

    spa = _pages(bot)["spa"]
    assert spa.status == DocumentStatus.READY  # not PROCESSING for ever: no sweeper takes pages up again
    assert "The sauna opens at 4 pm." in spa.content


def test_a_site_that_cannot_be_crawled_changes_nothing_and_says_why(bot, settings):
    bot_website_sync(bot_id=bot.pk)
    settings.CRAWL_ALLOW_LOOPBACK = False  # production's rule: 127.0.0.1 is off limits

    result = bot_website_sync(bot_id=bot.pk)

    assert result.error is not None
    assert Document.objects.filter(bot=bot).count() == 3
    bot.refresh_from_db()
    assert bot.knowledge_sync_error == result.error


def test_resync_route_is_owner_only(user, other_user, client_for, bot, django_capture_on_commit_callbacks):
    from accounts.tests.scoping import assert_owner_only

    with django_capture_on_commit_callbacks(execute=True):
        response = assert_owner_only(
            method="post",
            url=f"/api/bots/{bot.uuid}/resync",
            owner=user,
            stranger=other_user,
            client_for=client_for,
            success=(202,),
        )

    assert response.json() == {"success": True, "message": "Website sync started"}
    assert Document.objects.filter(bot=bot).count() == 3


def test_resync_of_a_files_bot_is_400(client_for, user):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type="FILES")

    response = client_for(user).post(f"/api/bots/{bot.uuid}/resync")

    assert response.status_code == 400
    assert response.json()["error"] == "This bot's knowledge base is not a website"


def test_creating_a_website_bot_crawls_it(client_for, user, site, httpserver, django_capture_on_commit_callbacks):
    body = {
        "name": "Aurora",
        "welcomeMessage": "Hi",
        "systemPrompt": "Help guests.",
        "ragEnabled": True,
        "ragSourceType": "url",
        "ragUrl": httpserver.url_for("/"),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post("/api/bots", body, format="json")

    bot = Bot.objects.get(uuid=response.json()["bot"]["uuid"])
    assert Document.objects.filter(bot=bot).count() == 3


def test_a_bot_deleted_while_its_site_is_read_stops_the_crawl_cleanly(bot, httpserver, monkeypatch):
    from documents import services

    real = services.document_upsert_page

    def deleted_after_the_first_page(**kwargs):
        outcome = real(**kwargs)
        Bot.objects.filter(pk=bot.pk).delete()  # its owner deletes it while the crawl goes on
        return outcome

    monkeypatch.setattr(services, "document_upsert_page", deleted_after_the_first_page)

    result = bot_website_sync(bot_id=bot.pk)

    assert (result.added, result.error) == (1, None)
    assert not Document.objects.exists()
