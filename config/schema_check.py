"""Is the database what the code expects? Every migration applied, every model's table there with every column.

``migrate`` only knows what its own bookkeeping (``django_migrations``) says; a table dropped or altered by hand, a
restore of an older backup over a newer bookkeeping, or a migration faked by mistake all pass it and then fail on
the first request that touches the table. ``prepare_database`` runs this after migrating so that a release stops
there, naming what is missing, instead of serving errors.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections, router
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(alias: str = "default") -> list[str]:
    """``app_label.migration_name`` of every migration that ``migrate`` would apply, in order."""
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def checked_models(alias: str = "default") -> list:
    """The models whose tables ``migrate`` creates on ``alias`` (managed, concrete, not swapped out), many-to-many
    tables included."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and not model._meta.swapped
        and router.allow_migrate_model(alias, model)
    ]


def schema_problems(alias: str = "default") -> list[str]:
    """What is wrong with the database ``alias``, one sentence each; empty when every migration is applied and
    every model's table exists with every column the model expects (read from the database's catalogue with
    Django's introspection, so it works on every backend)."""
    problems = [f"migration {name} is not applied" for name in unapplied_migrations(alias)]
    connection = connections[alias]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in checked_models(alias):
            opts = model._meta
            if opts.db_table not in tables:
                problems.append(f"table {opts.db_table} is missing (model {opts.label})")
                continue
            columns = {column.name for column in connection.introspection.get_table_description(cursor, opts.db_table)}
            problems += [
                f'column {opts.db_table}."{field.column}" is missing (field {opts.label}.{field.name})'
                for field in opts.local_concrete_fields
                if field.column not in columns
            ]
    return problems
