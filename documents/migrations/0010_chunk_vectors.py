"""Sentence vectors of the chunks (issue 17): ``document_chunks.embedding`` (float32 bytes) and, on documents,
the model that made them and when. Nullable columns without defaults: added without rewriting either table.

The vectors are stored out of line without compression (``STORAGE EXTERNAL``): float32 noise does not compress,
and PostgreSQL would try for every row written and pay to decompress nothing on every read.
"""

from django.db import migrations, models

from common.migration_ops import postgresql_sql


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0009_chunk_document_index_covered"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="embedded_at",
            field=models.DateTimeField(
                blank=True, db_column="embeddedAt", help_text="When every chunk had its vector.", null=True
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="embedding_model",
            field=models.CharField(
                blank=True,
                db_column="embeddingModel",
                help_text="Model of its chunks' vectors.",
                max_length=200,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="documentchunk",
            name="embedding",
            field=models.BinaryField(blank=True, null=True),
        ),
        postgresql_sql(
            "ALTER TABLE document_chunks ALTER COLUMN embedding SET STORAGE EXTERNAL",
            "ALTER TABLE document_chunks ALTER COLUMN embedding SET STORAGE EXTENDED",
        ),
    ]
