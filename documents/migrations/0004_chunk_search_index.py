from django.db import migrations

from common.migration_ops import database_cascade, postgresql_sql

GIN_INDEX = (
    'CREATE INDEX IF NOT EXISTS "document_chunks_searchVector_gin" ON "document_chunks" USING gin ("searchVector")'
)
DROP_GIN_INDEX = 'DROP INDEX IF EXISTS "document_chunks_searchVector_gin"'


def mark_processed_documents_ready(apps, schema_editor):
    Document = apps.get_model("documents", "Document")
    Document.objects.filter(processed_at__isnull=False).update(status="READY")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0003_processing_and_search"),
    ]

    operations = [
        migrations.RunPython(mark_processed_documents_ready, migrations.RunPython.noop),
        database_cascade("document_chunks"),
        postgresql_sql(GIN_INDEX, DROP_GIN_INDEX),
    ]
