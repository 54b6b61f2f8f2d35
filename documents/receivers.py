"""The knowledge base follows its bot and its owner (signals of bots and accounts, which do not import documents):
stored originals are deleted with their rows, a new website is crawled, a new language re-indexes the chunks."""

from __future__ import annotations

from accounts.models import User
from bots.models import Bot, RagSourceType
from common.tasking import enqueue_on_commit
from documents import services, tasks

# A change of these starts a crawl of a bot whose knowledge base is a website.
WEBSITE_FIELDS = frozenset({"rag_url", "rag_enabled", "rag_source_type"})


def delete_files_of_user(sender, *, user: User, **kwargs) -> None:
    services.stored_files_delete_on_commit(owner=user)


def delete_files_of_bot(sender, *, bot: Bot, **kwargs) -> None:
    services.stored_files_delete_on_commit(bot=bot)


def follow_bot(sender, *, bot: Bot, changed: set[str], created: bool, **kwargs) -> None:
    website = bot.rag_enabled and bot.rag_source_type == RagSourceType.URL and bot.rag_url
    if website and (created or changed & WEBSITE_FIELDS):
        services.bot_website_sync_request(bot=bot)
    if "language" in changed and not created:
        enqueue_on_commit(tasks.reindex_bot, bot.pk)
