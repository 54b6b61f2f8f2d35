"""Run the project's own commands in fresh processes, with an environment the test controls."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# Our configuration variables: stripped from the parent's environment so that each test states its own.
CONFIG_VARIABLES = (
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "BEHIND_PROXY",
    "TRUSTED_PROXY_COUNT",
    "CELERY_BROKER_URL",
    "TASKS_WITHOUT_BROKER",
    "STATIC_ROOT",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_REPLICA_URL",
    "CACHE_URL",
    "WIDGET_RATE_LIMIT",
    "PROBE_RATE_LIMIT",
    "ANONYMOUS_RATE_LIMIT",
    "WEBHOOK_REFUSED_RATE_LIMIT",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_MINUTES",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "METRICS_TOKEN",
    "METRICS_ALLOWED_IPS",
    "PROMETHEUS_MULTIPROC_DIR",
    "WEB_CONCURRENCY",
)


def clean_env(**variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARIABLES}
    env.update({"ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1"})
    env.update(variables)
    return env


def manage(*args: str, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env(**variables),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(
    argv: list[str], *, port: int, headers: dict[str, str] | None = None, log: Path | None = None, **variables: str
):
    """Start ``argv`` (a web server listening on ``port``) from the project root; yield an httpx client for it
    once it answers; stop it afterwards. A server that dies or never answers fails with its own output. With
    ``log``, its output goes to that file, for the test to read (a pipe nobody reads would block a talkative
    server)."""
    with log.open("wb") if log is not None else nullcontext() as output:
        server = subprocess.Popen(
            argv, cwd=ROOT, env=clean_env(**variables), stdout=output or subprocess.PIPE, stderr=subprocess.STDOUT
        )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers or {})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.get("/api/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    said = log.read_text() if log is not None else server.communicate()[0].decode()
                    raise AssertionError(said) from None
                time.sleep(0.2)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)
