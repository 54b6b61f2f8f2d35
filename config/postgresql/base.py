"""Django's PostgreSQL backend, with two changes; everything else is the stock backend.

1. No extra ``*_like`` pattern indexes. For every indexed or unique text column (each primary key, foreign key and
   external id here) Django adds a second index with ``varchar_pattern_ops`` so that ``LIKE 'abc%'`` can use an
   index under a non-C collation. We never filter keys or ids with LIKE, so those indexes would only double the
   index work of every insert, most of all on the call and session tables that webhooks and the widget write to
   all day.
2. With psycopg's pool (``DATABASE_POOL_MAX_SIZE``), a connection that fails its check on checkout has the whole
   pool checked at once. After a restart or a failover every idle connection is dead, and psycopg_pool finds them
   one checkout at a time, sleeping a growing backoff (1 s, then 2 s, …) after each: with two dead connections in
   the pool, the request that met them waited past the pool's timeout and answered 503 although the database was
   back. Checking the others at the first failure discards them all and starts their replacements, so that request
   gets a fresh connection after one backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.backends.postgresql import base, schema
from psycopg_pool import ConnectionPool


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model, field):
        return None


def sweeping_check(pool: ConnectionPool) -> Callable[[Any], None]:
    """psycopg_pool's own check, which on failure checks every idle connection of ``pool`` before it raises."""

    def check(connection: Any) -> None:
        try:
            ConnectionPool.check_connection(connection)
        except Exception:
            pool.check()  # the idle connections: dead ones discarded and replaced in the background
            raise

    return check


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # Django builds the pool with check=ConnectionPool.check_connection (CONN_HEALTH_CHECKS) and no way to pass
        # another: the check is swapped once, on the pool's first use.
        if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = sweeping_check(pool)
        return pool
