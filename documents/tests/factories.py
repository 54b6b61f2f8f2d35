import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from bots.tests.factories import BotFactory
from documents.models import Document, DocumentStatus


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = Document

    bot = factory.SubFactory(BotFactory, rag_enabled=True, rag_source_type="FILES")
    name = factory.Sequence(lambda n: f"handbook-{n}.txt")
    type = "text/plain"
    content = factory.Faker("paragraph", nb_sentences=8)
    chunks = factory.LazyAttribute(lambda doc: [doc.content] if doc.content else [])
    size = factory.LazyAttribute(lambda doc: len((doc.content or "").encode()))
    word_count = factory.LazyAttribute(lambda doc: len((doc.content or "").split()))
    file_path = factory.LazyAttribute(lambda doc: f"uploads/{doc.bot.uuid}/{doc.name}")
    processed_at = factory.LazyFunction(timezone.now)
    status = DocumentStatus.READY
