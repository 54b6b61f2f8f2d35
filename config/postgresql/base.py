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
3. Persistent connections are health-checked (``CONN_HEALTH_CHECKS``: a ``SELECT 1`` before a request's first query)
   with a round trip only when the connection has been idle for ``HEALTH_CHECK_IDLE_SECONDS`` since a request used
   it without error. Under load requests follow each other within milliseconds, and the check was a second round
   trip on every one (the widget's status route: two statements instead of one, a tenth of its time). Then the
   check looks at the socket instead, without a round trip: an idle connection has nothing to read unless the
   server closed it (a restart, a failover, a terminated backend: PostgreSQL says so, or the socket ends), and then
   the full check runs and Django replaces the connection before the request uses it, as before. What only a round
   trip finds (a connection dropped silently by something in between) cannot happen unnoticed for longer than the
   window: after a quiet second the round trip runs as Django runs it.
"""

from __future__ import annotations

import select
import time
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


# A connection that served a request without error this recently skips the health check (see 3. above).
HEALTH_CHECK_IDLE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor

    _used_without_error_at: float | None = None

    def close_if_unusable_or_obsolete(self) -> None:
        """Django's, at the start and at the end of each request; at the end, a connection that is still open and
        saw no error since is recorded as used without error now (its queries, if any, went through)."""
        had_errors, checked = self.errors_occurred, self.health_check_done
        super().close_if_unusable_or_obsolete()  # (it resets health_check_done for the next request)
        if self.connection is None or had_errors or self.errors_occurred:
            self._used_without_error_at = None
        elif checked or self._used_without_error_at is not None:
            # The request's queries ran on a connection checked at its start, or on one already known good.
            self._used_without_error_at = time.monotonic()

    def close_if_health_check_failed(self) -> None:
        last = self._used_without_error_at
        if (
            last is not None
            and not self.health_check_done
            and time.monotonic() - last < HEALTH_CHECK_IDLE_SECONDS
            and self._nothing_to_read()
        ):
            self.health_check_done = True  # busy, and the server has not closed it
            return
        super().close_if_health_check_failed()

    def _nothing_to_read(self) -> bool:
        """Whether the idle connection's socket has nothing waiting (no close, no message from the server)."""
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError, AttributeError):
            return False
        return not readable

    def close(self) -> None:
        self._used_without_error_at = None
        super().close()

    @property
    def pool(self) -> ConnectionPool | None:
        pool = super().pool
        # Django builds the pool with check=ConnectionPool.check_connection (CONN_HEALTH_CHECKS) and no way to pass
        # another: the check is swapped once, on the pool's first use.
        if pool is not None and getattr(pool, "_check", None) is ConnectionPool.check_connection:
            pool._check = sweeping_check(pool)
        return pool
