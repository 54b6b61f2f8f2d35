"""gunicorn with our hooks, as production runs it: several workers whose metrics add up in one scrape, and JSON
logs (access lines included) with the request id and without secrets."""

from __future__ import annotations

import json
import runpy
import secrets
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.db import connection

from config.monitoring.gunicorn_hooks import GunicornLogger, prepare_multiproc_dir
from config.tests.processes import ROOT, clean_env, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

METRICS_TOKEN = secrets.token_urlsafe(24)
QUERY_SECRET = "query-secret-" + secrets.token_hex(8)
BROKER_PASSWORD = "broker-pw-" + secrets.token_hex(8)
PROXY_HEADERS = {"Host": "bots.example.com", "X-Forwarded-Proto": "https"}


def _database_url() -> str:
    db = connection.settings_dict  # the test database, already migrated
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="module")
def hung_broker():
    """A port that accepts connections and never answers: each readiness probe waits its whole timeout."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory, hung_broker):
    tmp_path = tmp_path_factory.mktemp("gunicorn-monitoring")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by a previous run")
    log_path = tmp_path / "gunicorn.log"
    port = free_port()
    with django_db_blocker.unblock():
        database_url = _database_url()
    env = clean_env(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="bots.example.com",
        BEHIND_PROXY="true",
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        CELERY_BROKER_URL=f"redis://:{BROKER_PASSWORD}@127.0.0.1:{hung_broker}/0",
        READINESS_BROKER_TIMEOUT="1",
        LOG_FORMAT="json",
    )
    argv = [
        *(sys.executable, "-m", "gunicorn", "config.wsgi"),
        *("--config", "python:config.monitoring.gunicorn_hooks"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-"),
        "--preload",  # as gunicorn.conf.py runs it: the workers' metrics must still add up
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=PROXY_HEADERS, timeout=10)
    try:
        deadline = time.monotonic() + 30
        while log_path.read_text().count("Booting worker") < 2 or not _answers(client):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(log_path.read_text())
            time.sleep(0.2)
        yield client, process, log_path, metrics_dir
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=15)


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False


def _log_lines(log_path) -> list[dict]:
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


def test_a_scrape_counts_the_requests_of_every_worker(server):
    client, _, _, metrics_dir = server
    assert not (metrics_dir / "counter_999999.db").exists()  # emptied when gunicorn started

    # Two probes at once, each held for the broker's whole timeout: each of the two sync workers serves one.
    answers: list[httpx.Response] = []
    probes = [
        threading.Thread(target=lambda: answers.append(client.get(f"/api/ready?token={QUERY_SECRET}")))
        for _ in range(2)
    ]
    for probe in probes:
        probe.start()
    for probe in probes:
        probe.join()
    assert [answer.status_code for answer in answers] == [503, 503]

    scrape = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})

    assert scrape.status_code == 200
    assert 'voicebot_http_requests_total{method="GET",route="/api/ready",status="503"} 2.0' in scrape.text
    assert QUERY_SECRET not in scrape.text


def test_logs_are_json_lines_with_request_ids_and_without_secrets(server):
    client, _, log_path, _ = server
    response = client.get(
        f"/api/me?token={QUERY_SECRET}&x=1",
        headers={"X-Request-ID": "gunicorn-trace-1", "Referer": f"https://u:{QUERY_SECRET}@example.com/"},
    )
    assert response.status_code == 401
    time.sleep(0.5)  # the access line is written once the response is sent

    text = log_path.read_text()
    lines = _log_lines(log_path)  # every line parses: nothing printed outside the JSON format

    assert QUERY_SECRET not in text
    assert METRICS_TOKEN not in text
    assert BROKER_PASSWORD not in text
    access = [
        line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == "gunicorn-trace-1"
    ]
    assert len(access) == 1
    assert access[0]["http"]["method"] == "GET"
    assert access[0]["http"]["status"] == 401
    assert access[0]["http"]["path"].startswith("/api/me?token=[REDACTED]")
    assert "[REDACTED]" in access[0]["message"]
    application = [line for line in lines if line["logger"] == "django.request"]
    assert any(line["request_id"] == "gunicorn-trace-1" for line in application)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)


# --- Without a server -----------------------------------------------------------------------------------------


def test_the_logger_class_uses_our_format_and_filters(settings):
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)

    handlers = [h for h in (*logger.error_log.handlers, *logger.access_log.handlers) if getattr(h, "_gunicorn", False)]
    assert len(handlers) == 2
    for handler in handlers:
        assert [type(f).__name__ for f in handler.filters] == ["ContextFilter", "RedactingFilter"]
        assert type(handler.formatter).__name__ == "JsonFormatter"


def test_gunicorn_conf_uses_the_hooks():
    from config.monitoring import gunicorn_hooks

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    assert conf["logger_class"] is GunicornLogger
    assert conf["on_starting"] is gunicorn_hooks.on_starting
    assert conf["child_exit"] is gunicorn_hooks.child_exit


def test_the_multiprocess_directory_is_created_and_emptied(tmp_path):
    directory = tmp_path / "new" / "prometheus"

    assert prepare_multiproc_dir(str(directory)) == str(directory)
    (directory / "histogram_123.db").write_bytes(b"x")
    (directory / "keep.txt").write_text("not ours")
    prepare_multiproc_dir(str(directory))

    assert sorted(path.name for path in directory.iterdir()) == ["keep.txt"]


def test_no_directory_means_single_process_mode(monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)

    assert prepare_multiproc_dir() is None
