import pytest
from django.utils import timezone

from accounts.tests.admin_smoke import AdminSmoke, today
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


class TestDocumentAdmin(AdminSmoke):
    model = Document
    changelist_queries = 8

    def make(self, **kwargs):
        return DocumentFactory(**kwargs)

    def search_term(self, obj):
        return obj.name

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"type": "text/plain"},
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
