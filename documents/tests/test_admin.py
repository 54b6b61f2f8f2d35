import pytest
from django.utils import timezone

from accounts.tests.admin_smoke import AdminSmoke, today
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


class TestDocumentAdmin(AdminSmoke):
    model = Document
    # 7 since the type filter is typed: no more SELECT DISTINCT type over every document.
    changelist_queries = 7

    def make(self, **kwargs):
        return DocumentFactory(**kwargs)

    def search_term(self, obj):
        return obj.name

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"type": "text/plain"},
            {"type__icontains": "TEXT/"},
            {"uploaded_at__gte": today()},
            {"processed_at__isnull": "False"},
            {"uploaded_at__year": str(now.year)},
            {"bot": obj.bot_id},
        ]


def test_changelist_does_not_load_document_text(staff_client):
    DocumentFactory(content="secret-sauce " * 1000)

    response = staff_client.get("/admin/documents/document/")

    document = response.context["cl"].result_list[0]
    assert {"content", "chunks"} <= document.get_deferred_fields()


def test_change_page_shows_text_and_chunk_count(staff_client):
    document = DocumentFactory(content="alpha beta", chunks=["alpha", "beta"])

    response = staff_client.get(f"/admin/documents/document/{document.pk}/change/")

    content = response.content.decode()
    assert "alpha beta" in content
    assert f'href="/admin/bots/bot/{document.bot.pk}/change/">{document.bot.name}</a>' in content


def test_documents_filter_by_bot_owner_and_size(staff_client):
    small, large = DocumentFactory(content="a few words"), DocumentFactory(content="many words " * 500)

    by_owner = staff_client.get("/admin/documents/document/", {"bot__user": large.bot.user_id})
    assert list(by_owner.context["cl"].result_list) == [large]
    assert f"Showing documents of owner {large.bot.user.email}" in by_owner.content.decode()
    by_bot = staff_client.get("/admin/documents/document/", {"bot": small.bot_id})
    assert list(by_bot.context["cl"].result_list) == [small]
    by_size = staff_client.get("/admin/documents/document/", {"size__gte": "1000", "word_count__gte": "100"})
    assert list(by_size.context["cl"].result_list) == [large]
