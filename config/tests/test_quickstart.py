"""The README's quick start: with no service but Python, the app migrates a SQLite file and serves the admin
login page, the health route and the admin's static files."""

from __future__ import annotations

import sys

import pytest

from config.tests.processes import free_port, manage, serving

pytestmark = pytest.mark.slow


@pytest.fixture
def quickstart_server(tmp_path):
    # DATABASE_URL names a throwaway file here instead of the default db.sqlite3 of a developer's checkout, so
    # DEBUG is set as the zero-configuration default would set it.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "true"}
    migrated = manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr

    port = free_port()
    with serving(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], port=port, **env
    ) as client:
        yield client


def test_serves_admin_login_health_and_static_files_on_sqlite(quickstart_server):
    login = quickstart_server.get("/admin/login/")
    assert login.status_code == 200
    assert "Voice Bot administration" in login.text

    health = quickstart_server.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "healthy"
    assert health.json()["environment"]["nodeEnv"] == "development"

    css = quickstart_server.get("/static/admin/css/base.css")
    assert css.status_code == 200
    assert "text/css" in css.headers["content-type"]
