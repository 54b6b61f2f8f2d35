"""The README's quick start: with no service but Python, the app migrates a SQLite file and serves the admin
login page, the health route and the admin's static files."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from config.tests.processes import ROOT, clean_env, free_port, manage

pytestmark = pytest.mark.slow


@pytest.fixture
def quickstart_server(tmp_path):
    # DATABASE_URL names a throwaway file here instead of the default db.sqlite3 of a developer's checkout, so
    # DEBUG is set as the zero-configuration default would set it.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "true"}
    migrated = manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/api/health", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stdout.read().decode()) from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serves_admin_login_health_and_static_files_on_sqlite(quickstart_server):
    login = httpx.get(f"{quickstart_server}/admin/login/")
    assert login.status_code == 200
    assert "Voice Bot administration" in login.text

    health = httpx.get(f"{quickstart_server}/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "healthy"
    assert health.json()["environment"]["nodeEnv"] == "development"

    css = httpx.get(f"{quickstart_server}/static/admin/css/base.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
