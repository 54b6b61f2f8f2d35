"""Bring the call log up to date from VAPI's ``GET /call`` (what missed webhooks would have told us).

python manage.py sync_calls              # the last 30 days
python manage.py sync_calls --days 365
python manage.py sync_calls --all
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.services import SyncStats, calls_sync
from bots.vapi import VapiError


class Command(BaseCommand):
    help = "Record every call of our assistants that VAPI knows about, page by page, newest first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=30, help="how far back to go (default 30)")
        parser.add_argument("--all", action="store_true", help="go back to the first call")
        parser.add_argument("--max-pages", type=int, default=10_000)

    def handle(self, *args, days: int, all: bool, max_pages: int, **options) -> None:
        since = None if all else timezone.now() - datetime.timedelta(days=days)
        interactive = self.stderr.isatty()

        def progress(stats: SyncStats) -> None:
            bar = "#" * min(stats.pages, 40)
            line = (
                f"\r[{bar:<40}] page {stats.pages}: {stats.seen} calls "
                f"({stats.created} new, {stats.updated} updated, {stats.skipped} not ours)"
            )
            self.stderr.write(line, ending="" if interactive else "\n")

        try:
            stats = calls_sync(since=since, max_pages=max_pages, progress=progress)
        except VapiError as exc:
            raise CommandError(exc.message) from None
        if interactive:
            self.stderr.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Synced {stats.seen} calls in {stats.pages} pages: {stats.created} new, {stats.updated} updated, "
                f"{stats.skipped} of other assistants."
            )
        )
