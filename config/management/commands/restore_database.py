"""Replace the database's contents with a backup made by ``backup_database`` (pg_restore, one transaction).

python manage.py restore_database --list                               # backups in BACKUP_DIR, newest first
python manage.py restore_database --latest --yes                       # the newest backup of this database
python manage.py restore_database /mnt/backups/voicebot-….dump --yes   # a file (or a name in BACKUP_DIR)
python manage.py restore_database --from-storage --latest --yes        # from STORAGES["backups"] (Azure Blob)

Stop the web, worker and beat processes first: the restore drops and recreates every table. See docs/backups.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from config.backups import (
    BackupError,
    BackupFolder,
    BackupStorage,
    backups_list,
    database_label,
    database_restore,
    format_size,
)


class Command(BaseCommand):
    help = "Restore the database from a backup (replaces its data), or list the backups."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "backup",
            nargs="?",
            help="a backup file, a backup's name in the folder, or with --from-storage its name in the storage",
        )
        parser.add_argument("--latest", action="store_true", help="restore the newest backup of this database")
        parser.add_argument(
            "--list", action="store_true", dest="show_list", help="list the backups, newest first, and stop"
        )
        parser.add_argument("--from-storage", action="store_true", help='use the "backups" storage instead of a folder')
        parser.add_argument(
            "--input", metavar="DIR", dest="input_dir", help="folder to read from (default: BACKUP_DIR)"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask: the data is replaced")
        parser.add_argument(
            "--lock-timeout",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="give up (changing nothing) when a table stays in use this long (default 60; 0: wait forever)",
        )

    def handle(
        self,
        *args,
        backup: str | None,
        latest: bool,
        show_list: bool,
        from_storage: bool,
        input_dir: str | None,
        yes: bool,
        lock_timeout: float,
        **options,
    ) -> None:
        if sum((bool(backup), latest, show_list)) != 1:
            raise CommandError("Name a backup, or give --latest or --list (one of them).")
        try:
            location = BackupStorage.configured() if from_storage else BackupFolder(input_dir or settings.BACKUP_DIR)
            if show_list:
                self._list(location)
                return
            database = connections["default"].settings_dict.get("NAME") or ""
            if latest:
                backups = backups_list(location=location, database=database, sizes=False)
                if not backups:
                    raise CommandError(
                        f"No backup of database {database_label(database)} in {location}; name one (see --list)."
                    )
                name = backups[0].name
            elif not from_storage and Path(backup).is_file():
                location, name = BackupFolder(Path(backup).parent), Path(backup).name
            else:
                name = backup
            if not yes:
                self._confirm(database, location.describe(name))
            result = database_restore(location=location, name=name, lock_timeout=lock_timeout)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if result.warnings:
            self.stderr.write(result.warnings)
        taken = f", taken {result.taken_at:%Y-%m-%d %H:%M:%S} UTC" if result.taken_at else ""
        rows = ", ".join(f"{table} {count}" for table, count in result.row_counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {location.describe(result.name)} ({format_size(result.size)}{taken}) into database "
                f"{result.database}: {rows}."
            )
        )

    def _list(self, location) -> None:
        backups = backups_list(location=location)
        if not backups:
            self.stdout.write(f"No backups in {location}.")
            return
        self.stdout.write(f"Backups in {location}, newest first:")
        width = max(len(backup.name) for backup in backups)
        for backup in backups:
            self.stdout.write(
                f"  {backup.name:<{width}}  {format_size(backup.size):>12}  {backup.taken_at:%Y-%m-%d %H:%M:%S} UTC"
            )

    def _confirm(self, database: str, source: str) -> None:
        """Restoring replaces every table: on a terminal the operator types the database's name (a yes typed out of
        habit is not enough); anywhere else (cron, CI) only --yes will do."""
        host = connections["default"].settings_dict.get("HOST") or "local socket"
        warning = f"This replaces all data of database {database} on {host} with {source}."
        if not sys.stdin.isatty():
            raise CommandError(f"{warning} Refusing without --yes (no terminal to ask on).")
        self.stdout.write(self.style.WARNING(warning))
        self.stdout.write("Stop the web, worker and beat processes first.")
        answer = input(f"Type the database name ({database}) to go on: ")
        if answer.strip() != database:
            raise CommandError("Not confirmed: nothing was changed.")
