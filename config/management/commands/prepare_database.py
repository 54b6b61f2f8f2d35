"""Make the database ready for this release, and move in from the original app.

python manage.py prepare_database                        # wait for the database, migrate, verify (release phase)
python manage.py prepare_database --from-database "$ORIGINAL_DATABASE_URL" --from-uploads /mnt/original/uploads
python manage.py prepare_database --from-database "$ORIGINAL_DATABASE_URL" --dry-run

Exit status: 0 when everything was done (and imported); 1 when it stopped (the database never answered, the schema
is incomplete, the original cannot be read: nothing was imported); 2 when the import finished but some rows or
files could not be imported (listed, with the reason, before it exits).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from config.database import DatabaseUnavailable, wait_for_database
from config.legacy_import import (
    DEFAULT_BATCH_SIZE,
    Change,
    ImportReport,
    LegacyImportError,
    Problem,
    TableReport,
    documents_waiting_for_originals,
    legacy_database_import,
)
from config.legacy_uploads import UploadsReport, legacy_uploads_import
from config.schema_check import checked_models, schema_problems, unapplied_migrations

INCOMPLETE = 2  # exit status: imported, except what is listed


class Command(BaseCommand):
    help = (
        "Wait for the database, apply migrations, verify every table and column; then, when asked, import the "
        "original app's database (--from-database) and uploads folder (--from-uploads)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--from-database",
            metavar="URL",
            nargs="?",
            const="",
            help="import the original app's PostgreSQL database: its DATABASE_URL (Prisma's ?schema= is understood); "
            "without a URL, LEGACY_DATABASE_URL's (which keeps the password out of the process list)",
        )
        parser.add_argument("--from-uploads", metavar="DIR", help="the original app's uploads folder")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="say what the import would create and update, and write nothing (migrations are not applied)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=DEFAULT_BATCH_SIZE,
            help=f"rows read from the original per batch (default {DEFAULT_BATCH_SIZE}; documents a tenth of it)",
        )
        parser.add_argument(
            "--wait-timeout",
            type=float,
            default=None,
            help="seconds to wait for the database to answer (default DATABASE_WAIT_TIMEOUT, 60)",
        )

    def handle(self, *args, from_database, from_uploads, dry_run, batch_size, wait_timeout, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if from_database == "":
            from_database = settings.LEGACY_DATABASE_URL
            if not from_database:
                raise CommandError("--from-database without a URL reads LEGACY_DATABASE_URL, which is not set")
        self.verbose = options["verbosity"] >= 2
        # On a terminal the bar is redrawn in place; in a log (a release phase), one line per batch.
        self.interactive = self.stderr.isatty()
        self.carriage = "\r" if self.interactive else ""
        self._wait(settings.DATABASE_WAIT_TIMEOUT if wait_timeout is None else wait_timeout)
        self._migrate(dry_run=dry_run, verbosity=options["verbosity"])
        self._verify()
        if from_database is None and from_uploads is None:
            return

        database_report: ImportReport | None = None
        uploads_report: UploadsReport | None = None
        try:
            if dry_run:
                # Everything the import does, rolled back; the uploads are only read, seeing what the database import
                # would have made.
                with transaction.atomic():
                    if from_database is not None:
                        database_report = self._import_database(from_database, batch_size, record_changes=True)
                    if from_uploads is not None:
                        uploads_report = self._import_uploads(from_uploads, dry_run=True)
                    waiting = documents_waiting_for_originals()
                    transaction.set_rollback(True)
            else:
                if from_database is not None:
                    database_report = self._import_database(from_database, batch_size, record_changes=self.verbose)
                if from_uploads is not None:
                    uploads_report = self._import_uploads(from_uploads, dry_run=False)
                waiting = documents_waiting_for_originals()
        except LegacyImportError as exc:
            raise CommandError(str(exc)) from None
        except DatabaseError as exc:
            # Our database failed under the import (lost, full...): the database import's transaction rolled back.
            raise CommandError(
                f"The import stopped: the database answered {type(exc).__name__}. The import from the original "
                "database was rolled back (files already imported from the uploads folder stay); run it again."
            ) from None

        problems = self._print_reports(database_report, uploads_report, waiting, dry_run=dry_run)
        if problems:
            would = "would not be" if dry_run else "could not be"
            done = "Dry run: nothing was written." if dry_run else "Everything else was imported."
            message = f"{problems} rows or files {would} imported (listed above). {done}"
            raise CommandError(message, returncode=INCOMPLETE)
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.SUCCESS("Import complete."))

    # --- Preparing the database ------------------------------------------------------------------------------------

    def _wait(self, timeout: float) -> None:
        def report(attempt: int, error: str, delay: float) -> None:
            self.stderr.write(f"The database does not answer yet ({error}); attempt {attempt}, next in {delay:.1f} s")

        try:
            waited = wait_for_database("default", timeout=timeout, report=report)
        except DatabaseUnavailable as exc:
            raise CommandError(str(exc)) from None
        if waited >= 1:
            self.stdout.write(f"The database answered after {waited:.1f} s.")

    def _migrate(self, *, dry_run: bool, verbosity: int) -> None:
        if not dry_run:
            call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout, stderr=self.stderr)
            return
        pending = unapplied_migrations()
        if pending:
            for name in pending:
                self.stdout.write(f"  would apply {name}")
            raise CommandError(
                f"{len(pending)} migrations are not applied, and a dry run does not apply them: run "
                "prepare_database without --dry-run first (it migrates, then imports)."
            )

    def _verify(self) -> None:
        problems = schema_problems()
        for problem in problems:
            self.stderr.write(f"  {problem}")
        if problems:
            raise CommandError(f"The database does not match the code: {len(problems)} problems (listed above).")
        self.stdout.write(self.style.SUCCESS(f"Database ready: {len(checked_models())} tables verified."))

    # --- Importing -----------------------------------------------------------------------------------------------

    def _progress_bar(self, label: str, done: int, total: int, detail: str, *, unit: str = "") -> None:
        """One bar redrawn in place on a terminal; one line per step otherwise (logs of a release phase)."""
        width = 30
        filled = width if not total else width * done // total
        line = f"{self.carriage}{label:<9} [{'#' * filled:<{width}}] {done}/{total}{unit}: {detail}"
        self.stderr.write(line, ending="" if self.interactive else "\n")

    def _import_database(self, url: str, batch_size: int, *, record_changes: bool) -> ImportReport:
        def progress(table: TableReport) -> None:
            self._progress_bar(
                table.table,
                table.read,
                table.total,
                f"{table.created} new, {table.updated} updated, {table.unchanged} unchanged, {table.kept} kept, "
                f"{table.skipped} skipped",
            )
            if self.interactive and table.read >= table.total:
                self.stderr.write("")

        return legacy_database_import(url=url, batch_size=batch_size, record_changes=record_changes, progress=progress)

    def _import_uploads(self, root: str, *, dry_run: bool) -> UploadsReport:
        def progress(report: UploadsReport) -> None:
            self._progress_bar(
                "uploads",
                report.done,
                report.files,
                f"{report.created} new, {report.attached} attached, {report.unchanged} unchanged, "
                f"{report.skipped} skipped",
                unit=" files",
            )

        report = legacy_uploads_import(root=root, dry_run=dry_run, progress=progress)
        if self.interactive and report.files:
            self.stderr.write("")
        return report

    # --- Reporting -----------------------------------------------------------------------------------------------

    def _print_reports(
        self,
        database: ImportReport | None,
        uploads: UploadsReport | None,
        waiting: list[Problem],
        *,
        dry_run: bool,
    ) -> int:
        """Print what was (or would be) done; return how many rows and files were not imported."""
        would = "would be " if dry_run else ""
        problems: list[Problem] = []
        notes: list[Problem] = []
        changes: list[Change] = []
        if database is not None:
            self.stdout.write(f"Original database {database.source}{' (dry run)' if dry_run else ''}:")
            header = ("table", "in original", "created", "updated", "unchanged", "kept", "not imported")
            self.stdout.write("  " + "".join(f"{title:>14}" if i else f"{title:<10}" for i, title in enumerate(header)))
            for table in database.tables:
                counts = (table.total, table.created, table.updated, table.unchanged, table.kept, table.skipped)
                self.stdout.write(f"  {table.table:<10}" + "".join(f"{count:>14}" for count in counts))
            if dry_run:
                self.stdout.write("  (created, updated: what would be; kept: changed here after the original)")
            problems += database.problems
            notes += database.notes
            changes += database.changes
        if uploads is not None:
            self.stdout.write(
                f"Uploads folder {uploads.root}{' (dry run)' if dry_run else ''}: {uploads.files} files, "
                f"{uploads.created} new documents {would}created, {uploads.attached} originals {would}attached to "
                f"imported documents, {uploads.unchanged} already here, {uploads.skipped} not imported"
            )
            if uploads.documents:
                statuses = ", ".join(f"{status} {count}" for status, count in sorted(uploads.documents.items()))
                queued = " (PENDING: queued for the workers)" if "PENDING" in uploads.documents else ""
                self.stdout.write(f"  their documents now: {statuses}{queued}")
            problems += uploads.problems
            notes += uploads.notes
            changes += uploads.changes

        # -v 2 lists every row; a dry run, what it would update, attach or create from files (rows to create are
        # counted: they are the bulk of a first import).
        listed = (
            changes
            if self.verbose
            else [c for c in changes if dry_run and (c.action != "create" or c.table == "uploads")]
        )
        if listed:
            self.stdout.write(f"{'Would change' if dry_run else 'Changed'} (table, id, columns):")
            for change in listed:
                columns = f"  {', '.join(change.columns)}" if change.columns else ""
                self.stdout.write(f"  {change.action:<7}{change.table:<10}{change.id}{columns}")
        if notes or waiting:
            self.stdout.write(f"{'Would be imported' if dry_run else 'Imported'}, with a remark (table, id, remark):")
            for note in [*notes, *waiting]:
                self.stdout.write(f"  {note.table:<10}{note.id}  {note.reason}")
        if problems:
            self.stdout.write(
                self.style.WARNING(f"{'Would not import' if dry_run else 'Not imported'} (table, id, reason):")
            )
            for problem in problems:
                self.stdout.write(f"  {problem.table:<10}{problem.id}  {problem.reason}")
        return len(problems)
