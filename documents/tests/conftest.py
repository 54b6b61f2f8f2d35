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
