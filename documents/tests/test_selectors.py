"""Owner-scoped reads of documents that the dashboard uses beyond the API's (document_list, document_get)."""

from __future__ import annotations

import pytest

from bots.tests.factories import BotFactory
from common.errors import NotFoundError
from documents.selectors import document_get_owned, document_storage_totals
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


def test_a_document_is_found_through_its_owner_only(user, other_user, django_assert_num_queries):
    document = DocumentFactory(bot=BotFactory(user=user, rag_enabled=True))

    with django_assert_num_queries(1):
        found = document_get_owned(user=user, document_id=document.pk)
        assert found.bot.uuid == document.bot.uuid  # loaded with it
    with pytest.raises(NotFoundError, match="Document not found"):
        document_get_owned(user=other_user, document_id=document.pk)
    with pytest.raises(NotFoundError):
        document_get_owned(user=user, document_id="missing")


def test_storage_totals_cover_every_bot_of_the_owner_and_nothing_else(user, other_user, django_assert_num_queries):
    DocumentFactory(bot=BotFactory(user=user, rag_enabled=True), size=100)
    DocumentFactory(bot=BotFactory(user=user, rag_enabled=True), size=20)
    DocumentFactory(bot=BotFactory(user=user, rag_enabled=True), size=3, file_path=None, source_url="https://a.test/")
    DocumentFactory(bot=BotFactory(user=other_user, rag_enabled=True), size=9999)

    with django_assert_num_queries(1):
        totals = document_storage_totals(user=user)

    assert totals == {"size": 123, "files": 2, "pages": 1}
    assert document_storage_totals(user=BotFactory().user) == {"size": 0, "files": 0, "pages": 0}
