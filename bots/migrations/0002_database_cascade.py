from django.db import migrations

from common.migration_ops import database_cascade


class Migration(migrations.Migration):
    dependencies = [
        ("bots", "0001_initial"),
    ]

    operations = [
        database_cascade("bots"),
    ]
