"""Fill the quick start's database with a realistic demo data set (config/demo.py), and print how to sign in.

python manage.py seed_demo           # make it, or make it again (same rows: a second run changes no counts)
python manage.py seed_demo --reset   # remove what it made, and only that

No network: the demo bots' VAPI assistants are made up and never called.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from config.demo import DEMO_EMAIL, DEMO_PASSWORD, DemoEmailTaken, demo_reset, demo_seed


class Command(BaseCommand):
    help = (
        "Create (or re-create) the demo user with bots, documents, 90 days of calls and sessions; --reset removes them."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--reset", action="store_true", help="remove the demo data set (and nothing else)")
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="the origin written into the demo bots' embed codes (default http://127.0.0.1:8000)",
        )

    def handle(self, *args, reset: bool, base_url: str, **options) -> None:
        if reset:
            removed = demo_reset()
            self.stdout.write(self.style.SUCCESS("Demo data removed.") if removed else "No demo data to remove.")
            return
        try:
            result = demo_seed(base_url=base_url.rstrip("/"))
        except DemoEmailTaken as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {result.bots} bots, {result.documents} documents, {result.calls} calls, "
                f"{result.sessions} sessions."
            )
        )
        self.stdout.write(f"Sign in at {base_url.rstrip('/')}/sign-in as {DEMO_EMAIL}, password {DEMO_PASSWORD}")
