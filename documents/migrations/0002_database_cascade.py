from django.db import migrations

from common.migration_ops import database_cascade


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        database_cascade("documents"),
    ]
