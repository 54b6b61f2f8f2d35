"""Read replica, the views' side: which reads may be answered by the read replica (``DATABASE_REPLICA_URL``).

A replica is a copy of the primary that lags behind it by however long replication takes. So the code opts in,
read by read, where slightly old data is acceptable and the load is worth moving: the analytics reports and the
list endpoints (``@replica_reads`` on their GET handlers) and the admin's changelists. Everything else reads the
primary. ``config.routers.ReplicaRouter`` decides each query from the state kept here:

- ``ReplicaRoutingMiddleware`` gives every request its own ``RequestRouting`` (a context variable, so threads and
  async tasks never share one). It is installed only when a replica is configured; without it
  ``@replica_reads`` does nothing and every query goes to ``default``, exactly as without this module.
- ``@replica_reads`` turns replica reads on for the duration of the handler, for GET and HEAD only, unless
  ``DATABASE_REPLICA_READS`` is off, the same user's requests wrote less than ``DATABASE_REPLICA_STICKY_SECONDS``
  ago (the middleware remembers them), or the replica failed less than ``DATABASE_REPLICA_COOLDOWN`` seconds ago.
  Authentication runs before the handler (DRF's ``initial()``, the admin's ``admin_view``), so finding or
  creating the signed-in user always reads and writes the primary.
- Once the request writes through the ORM (the router sees every ``db_for_write``), its later reads go to the
  primary: a request reads its own writes.
- If the replica fails (down, refusing connections, a query cancelled by a replication conflict, a schema it has
  not replayed yet) the handler runs again on the primary, the failure is logged, and the replica is left alone
  for ``DATABASE_REPLICA_COOLDOWN`` seconds. Decorated handlers therefore must not write: they may run twice.

The cool-down and the "this user just wrote" marks live in Django's cache: shared by every process with
``CACHE_URL`` (Redis), per process otherwise. A cache that does not answer sends reads to the primary.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# The alias of the replica in DATABASES (config/settings.py adds it when DATABASE_REPLICA_URL is set).
REPLICA = "replica"
# Methods whose handlers may read from the replica: the rest change data and read what they change.
REPLICA_METHODS = frozenset({"GET", "HEAD"})
COOLDOWN_KEY = "replica:cooldown"


def _writer_key(user_pk: Any) -> str:
    return f"replica:wrote:{user_pk}"


@dataclass
class RequestRouting:
    """Where the current request's reads may go; read and updated by ``config.routers.ReplicaRouter``."""

    # Inside a @replica_reads handler that was allowed to use the replica.
    replica_reads: bool = False
    # The request has written through the ORM: from then on it reads the primary.
    wrote: bool = False
    # At least one read went to the replica (so a database error may be the replica's).
    replica_used: bool = False

    def reads_from_replica(self) -> bool:
        return self.replica_reads and not self.wrote


_routing: ContextVar[RequestRouting | None] = ContextVar("replica_routing", default=None)


def current_routing() -> RequestRouting | None:
    """The current request's routing state; None outside requests (tasks, commands) or without a replica."""
    return _routing.get()


def _cache_call(action: str, call: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a cache operation; ``(False, None)`` when the cache does not answer (logged), so that a Redis outage
    costs replica reads, never the request."""
    try:
        return True, call()
    except Exception as exc:  # each cache backend raises its own connection errors
        logger.warning("Read replica: the cache did not answer (%s while %s)", type(exc).__name__, action)
        return False, None


def _replica_allowed(request: HttpRequest) -> bool:
    if not settings.DATABASE_REPLICA_READS:
        return False
    keys = [COOLDOWN_KEY]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        keys.append(_writer_key(user.pk))
    answered, found = _cache_call("reading the replica marks", lambda: cache.get_many(keys))
    return answered and not found


def _replica_failed(routing: RequestRouting) -> bool:
    # Django flags a connection whose last operation failed (errors_occurred; integrity and data errors aside):
    # that tells a failing replica from a failing primary.
    return routing.replica_used and not routing.wrote and connections[REPLICA].errors_occurred


def replica_reads(handler: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Declare a view method's reads replica-safe: while it handles a GET or HEAD, its queries may be answered by
    the read replica (see the module docstring for when they are not).

    For handlers that only read, and whose readers accept data a few seconds old. Everything the response needs
    must be read inside the handler: a query that runs later (a lazily rendered template, a streamed body not yet
    started) reads the primary. On a replica failure the handler runs again on the primary.
    """

    @functools.wraps(handler)
    def wrapper(view: Any, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        routing = _routing.get()
        if routing is None or request.method not in REPLICA_METHODS or not _replica_allowed(request):
            return handler(view, request, *args, **kwargs)
        enclosing, routing.replica_reads = routing.replica_reads, True
        try:
            return handler(view, request, *args, **kwargs)
        except DatabaseError as exc:
            if not _replica_failed(routing):
                raise
            logger.warning(
                "Read replica failed (%s) on %s %s: answered from the primary; replica reads paused for %s s",
                type(exc).__name__,
                request.method,
                request.path,
                settings.DATABASE_REPLICA_COOLDOWN,
            )
            if settings.DATABASE_REPLICA_COOLDOWN > 0:
                _cache_call(
                    "pausing replica reads",
                    lambda: cache.set(COOLDOWN_KEY, True, timeout=settings.DATABASE_REPLICA_COOLDOWN),
                )
            routing.replica_reads = False  # the second run reads the primary only
            return handler(view, request, *args, **kwargs)
        finally:
            routing.replica_reads = enclosing

    # Said on the handler, so that what a view's base reads for it before it runs (accounts.scoping.OwnerView: the
    # record its path names) is read from the same database as the handler's own reads.
    wrapper.reads_replica = True
    return wrapper


class ReplicaRoutingMiddleware:
    """Give each request its own routing state, and remember for ``DATABASE_REPLICA_STICKY_SECONDS`` that a
    signed-in user's request wrote: their next requests then read the primary until the replica has caught up
    (a bot just created shows in the list the frontend loads next)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        routing = RequestRouting()
        token = _routing.set(routing)
        try:
            response = self.get_response(request)
        finally:
            _routing.reset(token)
        if routing.wrote:
            self._remember_writer(request)
        return response

    @staticmethod
    def _remember_writer(request: HttpRequest) -> None:
        seconds = settings.DATABASE_REPLICA_STICKY_SECONDS
        user = getattr(request, "user", None)
        if seconds <= 0 or user is None or not user.is_authenticated:
            return
        _cache_call("marking a writer", lambda: cache.set(_writer_key(user.pk), True, timeout=seconds))
