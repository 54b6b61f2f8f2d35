from config.database import POSTGRESQL_BACKEND, database_config

AZURE_URL = (
    "postgresql://myadmin@mypostgresserver:myPassword123!"
    "@mypostgresserver.postgres.database.azure.com:5432/vapi_nextjs_db?sslmode=require"
)


def test_azure_url_of_the_seed_keeps_user_password_host_and_sslmode():
    config = database_config(AZURE_URL)

    assert config["ENGINE"] == POSTGRESQL_BACKEND
    assert config["NAME"] == "vapi_nextjs_db"
    # Azure's single-server user names contain "@server"; the password ends at the last "@".
    assert config["USER"] == "myadmin@mypostgresserver"
    assert config["PASSWORD"] == "myPassword123!"
    assert config["HOST"] == "mypostgresserver.postgres.database.azure.com"
    assert config["PORT"] == 5432
    assert config["OPTIONS"]["sslmode"] == "require"


def test_flexible_server_url_with_percent_encoded_password():
    config = database_config(
        "postgresql://app:p%40ss%2Fw%3Ard%23@db.postgres.database.azure.com:5432/app?sslmode=verify-full"
    )

    assert config["PASSWORD"] == "p@ss/w:rd#"
    assert config["OPTIONS"]["sslmode"] == "verify-full"


def test_postgresql_gets_persistent_health_checked_connections_by_default():
    config = database_config("postgres://postgres@127.0.0.1:5432/voicebot", conn_max_age=120, connect_timeout=3)

    assert config["CONN_MAX_AGE"] == 120
    assert config["CONN_HEALTH_CHECKS"] is True
    assert "pool" not in config["OPTIONS"]
    assert config["OPTIONS"]["connect_timeout"] == 3
    assert config["OPTIONS"]["application_name"] == "voicebot"


def test_url_options_win_over_our_defaults():
    config = database_config("postgres://u:p@h/db?connect_timeout=20&application_name=worker")

    assert config["OPTIONS"]["connect_timeout"] == 20
    assert config["OPTIONS"]["application_name"] == "worker"


def test_pool_replaces_persistent_connections():
    config = database_config("postgres://u:p@h/db", pool_min_size=2, pool_max_size=8, pool_timeout=4)

    # A lost connection is retried for 10 s, then afresh on demand (see POOL_RECONNECT_TIMEOUT).
    assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 8, "timeout": 4, "reconnect_timeout": 10.0}
    # Django refuses a pool together with CONN_MAX_AGE.
    assert config["CONN_MAX_AGE"] == 0
    assert config["CONN_HEALTH_CHECKS"] is True


def test_sqlite_quick_start():
    config = database_config("sqlite:////srv/voicebot/quickstart.sqlite3")

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == "/srv/voicebot/quickstart.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config["OPTIONS"]["timeout"] == 30  # a write waits for a background task's processing to end
    assert "connect_timeout" not in config["OPTIONS"]
