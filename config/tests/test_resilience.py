"""The database goes away and comes back while the app runs, as production runs it (gunicorn, DEBUG off), behind a
TCP proxy the test controls: while it is down every API request answers 503 JSON with Retry-After (and
``/api/health`` its legacy 503), never a traceback or a connection detail; once it is back the same server
processes answer 200 again, with no restart. Both connection modes: persistent connections (sync workers) and
psycopg's pool (threaded workers).

Also a real Celery worker at start-up: it waits for a database that comes late, and exits non-zero (for the
platform to restart it) when the database never comes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
import pytest
import redis
from django.conf import settings

from config.celery import EXIT_DATABASE_UNAVAILABLE
from config.tests.dbproxy import DatabaseProxy
from config.tests.processes import ROOT, clean_env, free_port, manage
from conftest import public_pem

pytestmark = pytest.mark.slow

# Sent in every DATABASE_URL below (unless the server needs its real password): trust authentication never asks
# for it, and no response or log line may ever show it.
MARKER_PASSWORD = "never-shown-" + secrets.token_hex(8)
RETRY_AFTER = "7"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _server() -> tuple[str, int, str, str]:
    db = settings.DATABASES["default"]
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432), db["USER"], db["PASSWORD"] or MARKER_PASSWORD


def _url(database: str, *, port: int | None = None) -> str:
    host, server_port, user, password = _server()
    return f"postgres://{quote(user)}:{quote(password)}@{host}:{port or server_port}/{database}"


@pytest.fixture(scope="module")
def app_database() -> Iterator[str]:
    """A database of its own for the processes under test, migrated, dropped afterwards: what their requests write
    (the signed-in user's row) stays out of the suite's test database."""
    name = f"voicebot_resilience_{os.getpid()}"
    admin = _url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        migrated = manage("migrate", "--noinput", "-v", "0", DATABASE_URL=_url(name), SECRET_KEY="resilience")
        assert migrated.returncode == 0, migrated.stderr
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def proxy() -> Iterator[DatabaseProxy]:
    host, port, _, _ = _server()
    with DatabaseProxy(host, port) as database_proxy:
        yield database_proxy


@contextmanager
def _gunicorn(port: int, log: Path, options: list[str], **variables: str) -> Iterator[httpx.Client]:
    """gunicorn on ``port``, its output in ``log`` (a file: a pipe nobody reads would block a talkative server)."""
    argv = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", *options]
    with log.open("wb") as output:
        server = subprocess.Popen(argv, cwd=ROOT, env=clean_env(**variables), stdout=output, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.get("/api/health", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(log.read_text()) from None
                time.sleep(0.2)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=15)


def _worker_pids(log: Path) -> set[str]:
    return set(re.findall(r"Booting worker with pid: (\d+)", log.read_text()))


def _assert_unavailable(response: httpx.Response, proxy: DatabaseProxy) -> None:
    """The API's 503: JSON envelope, Retry-After, and nothing about the database in the body."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["retry-after"] == RETRY_AFTER
    assert response.json() == {"success": False, "error": "Database unavailable, please retry shortly"}
    _assert_no_details(response, proxy)


def _assert_no_details(response: httpx.Response, proxy: DatabaseProxy) -> None:
    body = response.text
    for leak in (str(proxy.port), "127.0.0.1", _server()[3], "Traceback", "psycopg", "OperationalError"):
        assert leak not in body, leak


MODES = {
    # Sync workers, one persistent health-checked connection each (the default).
    "persistent": (["--workers", "2"], {}),
    # Threaded workers on psycopg's pool; a short pool timeout keeps the outage's requests quick. Two connections
    # at least: a blip kills both, and the first request after it must not wait out psycopg_pool's backoff for
    # each dead one (config/postgresql/base.py).
    "pool": (
        ["--workers", "1", "--threads", "4", "--worker-class", "gthread"],
        {"DATABASE_POOL_MAX_SIZE": "4", "DATABASE_POOL_MIN_SIZE": "2", "DATABASE_POOL_TIMEOUT": "2"},
    ),
}


@pytest.mark.parametrize("mode", list(MODES))
def test_outage_answers_503_json_then_the_same_processes_recover(
    mode, app_database, proxy, clerk_private_key, make_token, tmp_path
):
    options, variables = MODES[mode]
    proxy.listen()
    log = tmp_path / "gunicorn.log"
    env = {
        "DATABASE_URL": _url(app_database, port=proxy.port),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "API_RETRY_AFTER_SECONDS": RETRY_AFTER,
        "CLERK_JWT_KEY": public_pem(clerk_private_key),
        **variables,
    }
    user_id = f"user_resilience_{mode}"
    widget = f"/api/widget/{uuid.uuid4()}/config"
    # Any session id makes Django look the session up in the database.
    admin_cookie = {"Cookie": f"sessionid={secrets.token_hex(16)}"}

    with _gunicorn(free_port(), log, options, **env) as server:

        def api(path: str) -> httpx.Response:
            return server.get(path, headers={"Authorization": f"Bearer {make_token(user_id)}"})

        def serves_normally() -> None:
            # Several rounds, so that every worker (and in pool mode, several threads) answers.
            for _ in range(4):
                assert server.get("/api/health").status_code == 200
                me = api("/api/me")
                assert me.status_code == 200, me.text
                assert me.json()["user"]["id"] == user_id
                assert api("/api/bots").status_code == 200
                assert server.get(widget).json() == {"success": False, "error": "Bot not found"}
                admin = server.get("/admin/", headers=admin_cookie)
                assert admin.status_code == 302  # the session was looked up (none): to the login page

        serves_normally()
        workers = _worker_pids(log)
        assert workers

        # A blip between requests (a restart, a failover): every kept connection is dead, yet no request fails,
        # because each is checked before use (CONN_HEALTH_CHECKS; the pool's check on checkout) and replaced.
        proxy.stop()
        proxy.listen()
        serves_normally()

        proxy.stop()  # the database goes away: open connections cut, new ones refused
        for _ in range(2 if mode == "persistent" else 1):
            health = server.get("/api/health")
            assert health.status_code == 503
            assert health.headers["retry-after"] == RETRY_AFTER
            assert "no-store" in health.headers["cache-control"]
            assert health.json()["status"] == "unhealthy"
            assert health.json()["database"]["connection"] is False
            _assert_no_details(health, proxy)
            _assert_unavailable(api("/api/me"), proxy)  # authentication: the user lookup
            _assert_unavailable(api("/api/bots"), proxy)
            _assert_unavailable(server.get(widget), proxy)  # public, anonymous
            admin = server.get("/admin/", headers=admin_cookie)
            assert admin.status_code == 503  # outside /api/: a plain page
            assert admin.headers["retry-after"] == RETRY_AFTER
            assert "Service Unavailable" in admin.text
            _assert_no_details(admin, proxy)

        proxy.listen()  # back, on the same address
        deadline = time.monotonic() + 30
        while server.get("/api/health").status_code != 200:
            assert time.monotonic() < deadline, "the server did not recover within 30 s"
            time.sleep(0.5)
        serves_normally()

        assert _worker_pids(log) == workers  # the same processes: none crashed or was replaced
    output = log.read_text()
    assert _server()[3] not in output  # the password never reaches a log


# --- The Celery worker at start-up --------------------------------------------------------------------------------


@pytest.fixture
def broker() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"No Redis at {REDIS_URL}: `bash scripts/test` starts one (or set TEST_REDIS_URL)")
    finally:
        client.close()
    return REDIS_URL


@contextmanager
def _worker(log: Path, **variables: str) -> Iterator[subprocess.Popen]:
    # A queue of its own: this worker never takes another test's tasks.
    argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "INFO"]
    argv += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", f"resilience-{os.getpid()}"]
    with log.open("wb") as output:
        worker = subprocess.Popen(argv, cwd=ROOT, env=clean_env(**variables), stdout=output, stderr=subprocess.STDOUT)
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.terminate()
        worker.wait(timeout=20)


def _wait_for(log: Path, text: str, worker: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{text!r} not seen:\n{log.read_text()}"
        time.sleep(0.2)


def test_worker_waits_for_a_database_that_comes_late(app_database, proxy, broker, tmp_path):
    log = tmp_path / "worker.log"
    env = {
        "DATABASE_URL": _url(app_database, port=proxy.port),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CELERY_BROKER_URL": broker,
    }

    with _worker(log, **env) as worker:
        _wait_for(log, "Database not answering yet (attempt 1: OperationalError)", worker)
        assert "ready." not in log.read_text()  # takes no task while the database is away
        proxy.listen()
        _wait_for(log, "ready.", worker)

    output = log.read_text()
    assert "Database answered after" in output
    assert str(proxy.port) not in output
    assert _server()[3] not in output


def test_worker_exits_when_the_database_never_comes(app_database, tmp_path):
    log = tmp_path / "worker.log"
    closed = free_port()  # nothing listens there
    env = {
        "DATABASE_URL": _url(app_database, port=closed),
        "SECRET_KEY": secrets.token_urlsafe(50),
        # Never reached: the worker exits before it connects to its broker.
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "DATABASE_WAIT_TIMEOUT": "2",
    }
    started = time.monotonic()

    with _worker(log, **env) as worker:
        worker.wait(timeout=30)

    assert worker.returncode == EXIT_DATABASE_UNAVAILABLE
    assert time.monotonic() - started < 25
    output = log.read_text()
    assert "The database (default) did not answer within 2 s" in output
    assert "last error: OperationalError); the worker exits for the platform to restart it" in output
    assert "ready." not in output
    assert str(closed) not in output
    assert _server()[3] not in output
