"""gunicorn's side of monitoring, for gunicorn.conf.py to import (or to use alone: ``gunicorn -c
python:config.monitoring.gunicorn_hooks config.wsgi``)::

    from config.monitoring.gunicorn_hooks import child_exit, logger_class, on_starting  # noqa: F401

- ``logger_class``: gunicorn's error and access logs in ``LOG_FORMAT`` (JSON lines in production) with the same
  context and redaction filters as the application's logs. The access log's request line carries the query string
  (``?token=…`` can reach it); the redaction filter removes secrets from it, from the referer and from anything
  else the access format prints. In JSON, an access line also has ``request_id`` (the ``X-Request-ID`` the
  application answered with, so it joins the application's lines of that request) and ``http`` fields.
- ``on_starting``: empties ``PROMETHEUS_MULTIPROC_DIR`` (creating it if needed) before the first worker starts, as
  prometheus_client requires: files left by a previous run would be added to the new run's values.
- ``child_exit``: a worker that exits (``max_requests`` recycling, a timeout) has its live-gauge files removed.
  Its counters and histograms stay in the directory, and keep counting in the totals, as they must.
- ``when_ready`` and ``pre_fork``, for an application loaded in the master (``preload_app``): the master imports the
  URLconf and every view once (so that a new worker does not), closes any database connection before a fork (a
  socket shared by two processes would interleave their queries), and freezes the objects it made out of the
  garbage collector's reach (``gc.freeze``), so that the collector in a worker does not write to, and copy, the
  pages it shares with the master. Nothing else at import time is per process: prometheus_client's multiprocess
  values follow the pid, ``common.ids`` re-seeds after a fork, Python's ``random`` does too, and the Clerk key set,
  the cache's and the broker's connections are made by a worker's first request that needs them.
"""

from __future__ import annotations

import gc
import glob
import os
import sys
import traceback
from typing import Any

from gunicorn.glogging import Logger

from config.monitoring.context import REQUEST_ID_HEADER

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _log_format() -> str:
    """``LOG_FORMAT`` from Django's settings: the one place it is decided (its default depends on DEBUG, which
    depends on DATABASE_URL). Loading the settings module in gunicorn's master is cheap and loads no app; a
    configuration error (no SECRET_KEY) then stops gunicorn at once with Django's message."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings

    return settings.LOG_FORMAT


class GunicornLogger(Logger):
    """gunicorn's Logger with our formatter and filters on each of its handlers, and structured access lines."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        from config.monitoring.logs import handler_filters, make_formatter

        formatter = make_formatter(_log_format())
        for handler in (*self.error_log.handlers, *self.access_log.handlers):
            if not getattr(handler, "_gunicorn", False):
                continue  # someone else's (a test's capture handler): not ours to change
            handler.setFormatter(formatter)
            for log_filter in handler_filters():
                handler.addFilter(log_filter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """As gunicorn's (the line follows ``access_log_format``), plus ``request_id`` and ``http`` fields."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        extra = {
            "request_id": _response_header(resp, REQUEST_ID_HEADER),
            "http": {
                "method": environ.get("REQUEST_METHOD"),
                "path": environ.get("RAW_URI"),
                "status": _status_code(resp),
                "bytes": getattr(resp, "sent", None),
                "duration_ms": round(request_time.total_seconds() * 1000, 3),
                "remote_addr": environ.get("REMOTE_ADDR"),
                "user_agent": environ.get("HTTP_USER_AGENT"),
                "referer": environ.get("HTTP_REFERER"),
            },
        }
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms), extra=extra)
        except Exception:
            self.error(traceback.format_exc())


def _response_header(resp: Any, name: str) -> str | None:
    wanted = name.lower()
    for header, value in getattr(resp, "headers", None) or []:
        if header.lower() == wanted:
            return value
    return None


def _status_code(resp: Any) -> int | None:
    status = getattr(resp, "status_code", None) or str(getattr(resp, "status", "")).split(" ", 1)[0]
    try:
        return int(status)
    except (TypeError, ValueError):
        return None


logger_class = GunicornLogger


def prepare_multiproc_dir(path: str | None = None) -> str | None:
    """Create ``PROMETHEUS_MULTIPROC_DIR`` if needed and remove the metric files in it; the directory, or None
    when multiprocess metrics are off."""
    path = path or os.environ.get(MULTIPROC_DIR_VARIABLE)
    if not path:
        return None
    os.makedirs(path, exist_ok=True)
    for stale in glob.glob(os.path.join(path, "*.db")):
        os.remove(stale)
    return path


def on_starting(server: Any) -> None:
    path = prepare_multiproc_dir()
    if path:
        server.log.info("Prometheus multiprocess metrics in %s (emptied)", path)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """The master is about to start its workers: with the application preloaded, finish loading it here once."""
    if not server.cfg.preload_app:
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every view module
    gc.freeze()  # (connections are closed before each fork: pre_fork)
    server.log.info("Application preloaded; workers are forked from it")


def pre_fork(server: Any, worker: Any) -> None:
    if server.cfg.preload_app:
        _close_database_connections()


def _close_database_connections() -> None:
    """The master's connections, if anything opened one (nothing should): closed before a fork, never shared."""
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
