"""Database routing for the optional read replica (``DATABASE_REPLICA_URL``; see docs/replica.md).

Installed in ``DATABASE_ROUTERS`` only when a replica is configured. Writes always go to the primary
(``default``). A read goes to the replica only when all of these hold, and to the primary otherwise:

- it happens inside a view handler that declared its reads replica-safe (``common.replica.replica_reads``,
  which is also where the kill switch, the cool-down after a failure and the after-write stickiness are decided);
- the request has not written yet (read-your-writes);
- the primary's connection is not inside a transaction: code that opened ``transaction.atomic`` wants a
  consistent view of the primary, which a lagging replica cannot give.

Reads outside requests (Celery tasks, management commands, the shell) always go to the primary. Migrations never
run on the replica: it gets its schema from the primary by replication (and a real replica refuses writes).
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from common.replica import REPLICA, current_routing

_SAME_DATA = frozenset({DEFAULT_DB_ALIAS, REPLICA})


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        routing = current_routing()
        if routing is not None and routing.reads_from_replica() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            routing.replica_used = True
            return REPLICA
        # Explicitly the primary, not None: with None Django would follow an instance's own database, and the
        # related rows of an object read from the replica would keep coming from the replica.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        routing = current_routing()
        if routing is not None:
            routing.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may be related to one from the other.
        if obj1._state.db in _SAME_DATA and obj2._state.db in _SAME_DATA:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
