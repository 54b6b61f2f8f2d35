"""Calls stored with absurd figures are repaired before 0006 bounds them (analytics.models.MAX_CALL_COST,
MAX_CALL_SECONDS): an absurd cost becomes 0 (the column's "unknown"), an absurd duration NULL. NaN and Infinity
fail ``cost <= 10000`` on PostgreSQL, so they are repaired too. A migration of its own: PostgreSQL will not alter a
table in the transaction that updated it while its foreign-key checks are deferred."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_covering_owner_time_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[
                "UPDATE calls SET cost = 0 WHERE NOT (cost <= 10000)",
                "UPDATE calls SET duration = NULL WHERE duration > 604800",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
