from django.db import migrations

from common.migration_ops import postgresql_sql

COLUMNS = (("documents", "content"), ("documents", "chunks"), ("document_chunks", "content"))


def set_compression(table: str, column: str, method: str) -> str:
    # lz4 compresses large texts several times faster than PostgreSQL's default (pglz); servers built without it
    # keep pglz. SQLite (the quick start) has no such setting.
    return f"""DO $$ BEGIN
        ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method};
    EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
    END $$;"""


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_chunk_search_index"),
    ]

    operations = [
        postgresql_sql(set_compression(table, column, "lz4"), set_compression(table, column, "pglz"))
        for table, column in COLUMNS
    ]
