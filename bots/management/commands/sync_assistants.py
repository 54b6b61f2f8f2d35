"""Send every ACTIVE bot's assistant to VAPI again, as the bot is configured now.

python manage.py sync_assistants

What it is for: after a rotation of VAPI_WEBHOOK_SECRET (each assistant gets the secret derived from the new key;
the old key stays in VAPI_WEBHOOK_PREVIOUS_SECRETS until this has run), and after an upgrade that changes what an
assistant carries (the per-bot secrets, the multilingual voice of non-English bots, VAPI's language spelling).
One PATCH per bot, in this process (not through Celery: the operator sees each failure); a bot whose assistant
cannot be updated keeps the reason in ``vapiSyncError``, as when an edit is synced.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from bots.models import Bot, BotStatus
from bots.services import SyncLater, bot_sync_assistant, vapi_configuration_problem
from bots.vapi import VapiTransientError


class Command(BaseCommand):
    help = "PATCH every ACTIVE bot's VAPI assistant with its current configuration (and its current secret)."

    def handle(self, *args, **options) -> None:
        problem = vapi_configuration_problem()
        if problem:
            raise CommandError(problem)
        ids = list(
            Bot.objects.filter(status=BotStatus.ACTIVE, vapi_assistant_id__isnull=False)
            .order_by("created_at")
            .values_list("pk", flat=True)
        )
        failed = 0
        for bot_id in ids:
            try:
                bot_sync_assistant(bot_id=bot_id)
            except SyncLater:
                continue  # re-activated meanwhile: its activation sends the current assistant
            except VapiTransientError as exc:
                failed += 1
                self.stderr.write(f"Bot {bot_id}: {exc.message}")
                continue
            error = Bot.objects.filter(pk=bot_id).values_list("vapi_sync_error", flat=True).first()
            if error:
                failed += 1
                self.stderr.write(f"Bot {bot_id}: {error}")
        if failed:
            raise CommandError(f"{failed} of {len(ids)} assistants could not be updated; run the command again.")
        self.stdout.write(self.style.SUCCESS(f"Updated {len(ids)} assistants."))
