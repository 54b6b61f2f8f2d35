"""Migration operations shared by the apps."""

from __future__ import annotations

from functools import partial

from django.db import migrations

_FOREIGN_KEYS_SQL = """
    SELECT con.conname, att.attname, ref.relname, ref_att.attname
    FROM pg_constraint con
    JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
    JOIN pg_class ref ON ref.oid = con.confrelid
    JOIN pg_attribute ref_att ON ref_att.attrelid = con.confrelid AND ref_att.attnum = con.confkey[1]
    WHERE con.contype = 'f' AND con.conrelid = %s::regclass
    ORDER BY con.conname
"""


def _set_on_delete(apps, schema_editor, *, tables: tuple[str, ...], action: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return  # SQLite (the local quick start) relies on the ORM's cascade alone.
    quote = schema_editor.quote_name
    for table in tables:
        with connection.cursor() as cursor:
            cursor.execute(_FOREIGN_KEYS_SQL, [table])
            foreign_keys = cursor.fetchall()
        for name, column, ref_table, ref_column in foreign_keys:
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}, "
                f"ADD CONSTRAINT {quote(name)} FOREIGN KEY ({quote(column)}) "
                f"REFERENCES {quote(ref_table)} ({quote(ref_column)}) "
                f"ON DELETE {action} DEFERRABLE INITIALLY DEFERRED"
            )


def database_cascade(*tables: str) -> migrations.RunPython:
    """Make every foreign key of ``tables`` ``ON DELETE CASCADE`` in PostgreSQL, as the original schema had them.

    Django cascades in the ORM (``on_delete=CASCADE``); this makes a plain SQL ``DELETE`` of a user or bot, run by
    an operator, cascade the same way instead of failing. Reversible.
    """
    return migrations.RunPython(
        partial(_set_on_delete, tables=tables, action="CASCADE"),
        partial(_set_on_delete, tables=tables, action="NO ACTION"),
        elidable=False,
    )


def _execute_on_postgresql(apps, schema_editor, *, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql)


def postgresql_sql(forward: str, backward: str) -> migrations.RunPython:
    """SQL run on PostgreSQL only (full-text indexes, extensions' index types): SQLite, the quick start's database,
    goes without. Unlike RunSQL, it checks the database it runs on."""
    return migrations.RunPython(
        partial(_execute_on_postgresql, sql=forward), partial(_execute_on_postgresql, sql=backward), elidable=False
    )
