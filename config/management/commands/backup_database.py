"""Back the database up with pg_dump (custom format), then apply the retention rules to our older backups.

python manage.py backup_database                          # to BACKUP_DIR
python manage.py backup_database --output /mnt/backups    # to a folder
python manage.py backup_database --to-storage --keep 14   # to STORAGES["backups"] (Azure Blob), keep the 14 newest

See docs/backups.md; the work is done by config/backups.py.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.backups import (
    BackupError,
    BackupFolder,
    BackupStorage,
    backups_prune,
    database_backup,
    format_size,
)


def non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Dump the database (pg_dump, custom format) to a folder or the backups storage, then prune old backups."

    def add_arguments(self, parser) -> None:
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--output", metavar="DIR", help="folder to write to (default: BACKUP_DIR)")
        where.add_argument(
            "--to-storage", action="store_true", help='write to the "backups" storage (Azure Blob when configured)'
        )
        parser.add_argument(
            "--keep",
            type=non_negative_int,
            default=settings.BACKUP_KEEP,
            metavar="N",
            help="keep the N newest backups of this database (default: BACKUP_KEEP; 0: no such rule)",
        )
        parser.add_argument(
            "--keep-days",
            type=non_negative_int,
            default=settings.BACKUP_KEEP_DAYS,
            metavar="D",
            help="keep the backups younger than D days (default: BACKUP_KEEP_DAYS; 0: no such rule)",
        )

    def handle(self, *args, output: str | None, to_storage: bool, keep: int, keep_days: int, **options) -> None:
        try:
            location = BackupStorage.configured() if to_storage else BackupFolder(output or settings.BACKUP_DIR)
            result = database_backup(location=location)
            backup = result.backup
            self.stdout.write(
                self.style.SUCCESS(
                    f"Backed up database {backup.database} to {location.describe(backup.name)} "
                    f"({format_size(backup.size)})."
                )
            )
            if result.warnings:
                self.stderr.write(result.warnings)
            # Only after a backup succeeded: a failing backup job must never eat the backups that still work.
            deleted = backups_prune(location=location, database=backup.database, keep=keep, keep_days=keep_days)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if keep or keep_days:
            rules = " or ".join(
                ([f"one of the {keep} newest"] if keep else [])
                + ([f"younger than {keep_days} days"] if keep_days else [])
            )
            if deleted:
                names = ", ".join(old.name for old in deleted)
                self.stdout.write(f"Retention (kept: {rules}): deleted {len(deleted)}: {names}.")
            else:
                self.stdout.write(f"Retention (kept: {rules}): nothing to delete.")
