import pytest


@pytest.fixture
def media(settings, tmp_path):
    """Stored originals go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def rag_bot(user):
    from bots.tests.factories import BotFactory

    return BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES")


@pytest.fixture(autouse=True)
def _embedding_failures_not_kept():
    """The embedding engine keeps a failed load for the process's life (documents/embeddings): a test that makes
    it fail (weights hidden, an import blocked) must not leave that failure to the tests after it."""
    yield
    from documents import embeddings

    embeddings.forget_failures()
