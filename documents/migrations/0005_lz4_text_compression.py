from django.db import migrations

COLUMNS = (("documents", "content"), ("documents", "chunks"), ("document_chunks", "content"))


def set_compression(method: str):
    def run(apps, schema_editor):
        # lz4 compresses large texts several times faster than PostgreSQL's default (pglz); servers built without it
        # keep pglz. SQLite (the quick start) has no such setting.
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in COLUMNS:
            schema_editor.execute(
                f"""DO $$ BEGIN
                    ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method};
                EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
                END $$;"""
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_chunk_search_index"),
    ]

    operations = [
        migrations.RunPython(set_compression("lz4"), set_compression("pglz")),
    ]
