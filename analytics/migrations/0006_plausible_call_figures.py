"""Calls' cost and duration within plausible bounds (analytics.models.MAX_CALL_COST, MAX_CALL_SECONDS), so that no
stored row can break a report: a cost of 1e300 or Infinity made every sum Infinity, which JSON cannot carry."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0005_repair_call_figures"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="call",
            constraint=models.CheckConstraint(condition=models.Q(("cost__lte", 10000)), name="calls_cost_plausible"),
        ),
        migrations.AddConstraint(
            model_name="call",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration__isnull", True), ("duration__lte", 604800), _connector="OR"),
                name="calls_duration_plausible",
            ),
        ),
    ]
