"""gunicorn's settings, from the environment. gunicorn reads this file by default when it starts in the project's
root (the Procfile's web process); command-line options still win over it.

Sync workers by default: a request holds one worker (and its one persistent database connection, see
config/database.py) from start to end, which is what Django's ORM is built for. Set ``GUNICORN_THREADS`` above 1
for threaded workers (gthread) when requests spend their time waiting on the network; then also set
``DATABASE_POOL_MAX_SIZE`` so the threads of a process share a psycopg pool.

Every value below can be set by the variable named next to it.
"""

from __future__ import annotations

import multiprocessing
import os

# gunicorn's logs in LOG_FORMAT (JSON lines in production) with request ids and secrets redacted, and the hooks that
# keep PROMETHEUS_MULTIPROC_DIR right with several workers (docs/monitoring.md).
from config.monitoring.gunicorn_hooks import child_exit, logger_class, on_starting, pre_fork, when_ready  # noqa: F401


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"{name} must be true or false, not {value!r}")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {value!r}") from None


# Where to listen: the platform's PORT (App Service, Heroku-like hosts), 8000 otherwise.
bind = f"0.0.0.0:{_int('PORT', 8000)}"
# Processes: WEB_CONCURRENCY (the name platforms set), else 2 per core plus 1, at most 12 (each holds a database
# connection: keep workers x instances under the server's max_connections).
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 12))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# Seconds a request may take before its worker is killed and replaced (uploads are streamed to disk and processed
# by Celery, so no request should come near this).
timeout = _int("GUNICORN_TIMEOUT", 30)
# Seconds workers get to finish their requests on a restart or deploy (SIGTERM) before they are killed.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds an idle keep-alive connection from the load balancer stays open. Keep it above zero behind a proxy that
# reuses connections; sync workers then still serve one request at a time.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Load the application once, in the master, and fork the workers from it (GUNICORN_PRELOAD, on by default): a worker
# that replaces a recycled one is ready in milliseconds instead of importing Django and the project again (a second
# of CPU on this project's 2-core machine, which showed as p99 spikes of 0.5-1.4 s under load), and the workers share
# the master's memory pages. config.monitoring.gunicorn_hooks.when_ready/pre_fork make the fork safe (no database
# connection crosses it). The cost: new code needs a restart, not a HUP (deploys restart anyway).
preload_app = _bool("GUNICORN_PRELOAD", True)
# gunicorn's control socket (for its gunicornc tool) runs an asyncio thread in the master, which then forks every
# replacement worker from a multi-threaded process, and all gunicorns of a host share its default path. Off unless
# asked for (GUNICORN_CONTROL_SOCKET=true): deploys and restarts go through the platform, not gunicornc.
control_socket_disable = not _bool("GUNICORN_CONTROL_SOCKET", False)
# Replace each worker after about this many requests, each at its own count (max_requests + a random 0..jitter, so
# that they do not restart together): bounds the growth of a slow leak in any library. 0 turns it off. Measured with
# bench/webhook.py (4 workers, 32 connections, ~14,000 requests per worker per run): recycling at 5,000 + 1,000 put
# the widget script's p99 at 21-48 ms and the status route's at 36-54 ms; at 20,000 + 5,000, 18-21 and 40-50; with
# no recycling, 17-19 and 37-39.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5000)
# Worker heartbeats in memory, not on a container's disk (where a slow overlay filesystem can make healthy workers
# look stuck); gunicorn makes its own unique files there (gunicorn's documented advice for containers).
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# Access and error logs to standard output and error, where the platform collects them.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
