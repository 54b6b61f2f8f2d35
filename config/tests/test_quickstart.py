"""The README's quick start: with no service but Python, the app migrates a SQLite file and serves the admin
login page, the health route and the admin's static files; and every route works there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.tests.processes import clean_env, free_port, manage, serving

pytestmark = pytest.mark.slow


@pytest.fixture
def quickstart_server(tmp_path):
    # DATABASE_URL names a throwaway file here instead of the default db.sqlite3 of a developer's checkout, so
    # DEBUG is set as the zero-configuration default would set it.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "true"}
    migrated = manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    # A clean start: no warning about the PostgreSQL-only covering indexes (models.W040), or any other.
    assert "WARNINGS" not in migrated.stderr + migrated.stdout, migrated.stderr

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


def test_the_demo_data_set_is_made_on_sqlite_and_made_again_the_same(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DEBUG": "true", "MEDIA_ROOT": str(tmp_path)}
    # One process (each start of Django costs a second or two): migrate, then seed_demo twice.
    script = "from django.core.management import call_command as run; run('migrate', verbosity=0); " + " ".join(
        ["run('seed_demo'); print('--');"] * 2
    )

    result = manage("shell", "--verbosity", "0", "-c", script, **env)

    assert result.returncode == 0, result.stderr
    first, second, _ = result.stdout.split("--\n")
    assert first == second
    assert "calls" in first
    assert "Sign in at http://127.0.0.1:8000/sign-in as demo@example.com" in first


def test_every_route_works_on_sqlite(tmp_path):
    """A user's whole journey (bots, files, search, VAPI's requests, the widget, every report, the admin) on the
    quick start's database: see sqlite_walkthrough.py."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("sqlite_walkthrough.py"))],
        env=clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DEBUG="true", MEDIA_ROOT=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert "every route answered as expected" in result.stdout
