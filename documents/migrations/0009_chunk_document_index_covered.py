"""Chunks lose their own index on documentId: the unique (documentId, position) index already serves every lookup
by document (its first column), and each index is one more write per chunk ingested (issue 16).

Only the index goes: the foreign key stays as it is (Django's AlterField would drop and re-add it, re-checking
every chunk under a lock). Dropped CONCURRENTLY on PostgreSQL: ingestion keeps writing meanwhile.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "document_chunks_documentId_66ca298f"


def drop_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f'DROP INDEX{concurrently} IF EXISTS "{INDEX}"')


def create_index(apps, schema_editor):
    concurrently = " CONCURRENTLY" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(f'CREATE INDEX{concurrently} IF NOT EXISTS "{INDEX}" ON "document_chunks" ("documentId")')


class Migration(migrations.Migration):
    atomic = False  # DROP/CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("documents", "0008_chunk_search_by_bot_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="documentchunk",
                    name="document",
                    field=models.ForeignKey(
                        db_column="documentId",
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_chunks",
                        to="documents.document",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_index, create_index, elidable=False)],
        ),
    ]
