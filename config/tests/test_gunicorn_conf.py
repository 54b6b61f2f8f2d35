"""gunicorn.conf.py: the web process's settings come from the environment, with sane defaults."""

from __future__ import annotations

import runpy

import pytest

from config.tests.processes import ROOT

VARIABLES = (
    "PORT",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "GUNICORN_ACCESS_LOG",
    "GUNICORN_PRELOAD",
    "GUNICORN_CONTROL_SOCKET",
)


def load(monkeypatch, **env: str) -> dict:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_defaults(monkeypatch):
    conf = load(monkeypatch)

    assert conf["bind"] == "0.0.0.0:8000"
    assert 3 <= conf["workers"] <= 12
    assert (conf["worker_class"], conf["threads"]) == ("sync", 1)
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (30, 30, 5)
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (20000, 5000)
    assert conf["preload_app"] is True
    assert conf["control_socket_disable"] is True
    assert {"when_ready", "pre_fork", "on_starting", "child_exit"} <= conf.keys()
    assert (conf["accesslog"], conf["errorlog"]) == ("-", "-")


def test_the_environment_sets_every_value(monkeypatch):
    conf = load(
        monkeypatch,
        PORT="9001",
        WEB_CONCURRENCY="5",
        GUNICORN_THREADS="4",
        GUNICORN_TIMEOUT="60",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_KEEPALIVE="75",
        GUNICORN_MAX_REQUESTS="0",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_PRELOAD="false",
    )

    assert conf["bind"] == "0.0.0.0:9001"
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (5, 4, "gthread")
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (60, 20, 75)
    assert conf["max_requests"] == 0
    assert conf["accesslog"] is None  # empty: no access log
    assert conf["preload_app"] is False


def test_a_bad_number_stops_the_start_with_its_name(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be a whole number"):
        load(monkeypatch, WEB_CONCURRENCY="many")


def test_a_bad_switch_stops_the_start_with_its_name(monkeypatch):
    with pytest.raises(SystemExit, match="GUNICORN_PRELOAD must be true or false"):
        load(monkeypatch, GUNICORN_PRELOAD="sometimes")
