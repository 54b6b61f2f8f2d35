"""Settings as a deployment sees them: each case runs manage.py in a fresh process with its own environment."""

import secrets

import pytest

from config.tests.processes import manage

pytestmark = pytest.mark.slow

PRINT_SETTINGS = "from django.conf import settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.TIME_ZONE)"
PRODUCTION = {
    "DATABASE_URL": "postgresql://app:secret@db.example.postgres.database.azure.com:5432/voicebot?sslmode=require",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "bots.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://bots.example.com",
    "BEHIND_PROXY": "true",
}


def test_without_any_configuration_it_is_the_sqlite_quick_start_in_debug():
    result = manage("shell", "--verbosity", "0", "-c", PRINT_SETTINGS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "UTC"]


def test_without_a_broker_tasks_run_in_the_background_of_the_web_process():
    printed = "from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER, s.TASKS_WITHOUT_BROKER)"

    result = manage("shell", "--verbosity", "0", "-c", printed)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "background"]


def test_an_unknown_way_of_running_tasks_without_a_broker_is_refused():
    result = manage("check", TASKS_WITHOUT_BROKER="threads")

    assert result.returncode != 0
    assert "TASKS_WITHOUT_BROKER must be background or inline, not 'threads'" in result.stderr


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = manage("check", DATABASE_URL=PRODUCTION["DATABASE_URL"])

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_refuses_to_start_without_secret_key_when_debug_is_explicitly_off():
    result = manage("check", DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_defaults_off_once_a_database_url_is_configured():
    result = manage("shell", "--verbosity", "0", "-c", PRINT_SETTINGS, **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "config.postgresql", "UTC"]


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


PRINT_PROXIES = "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'])"


@pytest.mark.parametrize(
    ("variables", "printed"),
    [
        ({}, ["0", "0"]),
        ({"BEHIND_PROXY": "true"}, ["1", "1"]),  # as before TRUSTED_PROXY_COUNT existed
        ({"BEHIND_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}, ["2", "2"]),
    ],
)
def test_trusted_proxies_default_to_one_behind_a_proxy(variables, printed):
    result = manage("shell", "--verbosity", "0", "-c", PRINT_PROXIES, **variables)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == printed


def test_a_negative_proxy_count_is_refused():
    result = manage("check", TRUSTED_PROXY_COUNT="-1")

    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


def test_a_rate_limit_that_is_not_a_rate_is_refused():
    result = manage("check", ANONYMOUS_RATE_LIMIT="120 per minute")

    assert result.returncode != 0
    assert "The anonymous rate limit '120 per minute' is not <count>/<period>" in result.stderr


def test_database_commands_need_no_secret_key(tmp_path):
    """Operations on the database sign nothing: with DEBUG off they run without SECRET_KEY (a throwaway key of
    their own), while serving and every other command still refuse (above)."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}

    listed = manage("showmigrations", "bots", **database)

    assert listed.returncode == 0, listed.stderr
    assert "[ ] 0001_initial" in listed.stdout
    assert manage("check", **database).returncode != 0
