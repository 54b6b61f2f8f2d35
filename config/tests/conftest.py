"""Fixtures of the schema-driven tests (test_fuzz.py, test_conformance.py)."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from analytics.tests.factories import CallFactory, SessionFactory
from bots.tests.factories import BotFactory
from config.tests.openapi_schema import VAPI_SECRET, Seeded
from documents.tests.factories import DocumentFactory


@pytest.fixture
def connection_kept():
    """The requests run in this test's transaction, as Django's test client runs them: its handler would close the
    connection at each request's start and end (close_old_connections), which it must keep."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def api_data(db, settings, user, media_root, connection_kept):
    """The signed-in owner's bot with a stored document, a session and a call, for requests to name."""
    settings.VAPI_WEBHOOK_SECRET = VAPI_SECRET
    # The fuzzed requests send VAPI_SECRET itself: accepted as the shared secret of older assistants (bots/vapi.py).
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [VAPI_SECRET]
    settings.VAPI_PUBLIC_KEY = "public-key"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI client's host
    bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES", vapi_assistant_id="asst_fz")
    document = DocumentFactory(bot=bot, name="faq.txt", file_path=f"uploads/{bot.uuid}/faq.txt")
    session = SessionFactory(bot=bot)
    call = CallFactory(bot=bot, vapi_call_id="call_fuzz")
    Seeded.values = {
        "uuid": [bot.uuid],
        "document_id": [document.pk],
        "session_id": [session.session_id],
        "filename": ["faq.txt"],
        "callId": [call.vapi_call_id],
        "botUuid": [bot.uuid],
        "assistantId": ["asst_fz"],
    }
    return bot
