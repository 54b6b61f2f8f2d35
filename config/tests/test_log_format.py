"""Log formats: JSON lines in production, plain lines in development; request and task ids on every record."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import sys

import pytest
from django.conf import settings as django_settings

from common.redaction import RedactingFilter
from config.monitoring.context import request_id_var, task_id_var
from config.monitoring.logs import ContextFilter, JsonFormatter, PlainFormatter, logging_config
from config.tests.processes import manage


def _record(msg="hello %s", args=("world",), *, level=logging.INFO, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("bots.services", level, __file__, 10, msg, args, exc_info)
    record.created = 1767225600.25  # 2026-01-01T00:00:00.250Z
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def _filtered(record: logging.LogRecord) -> logging.LogRecord:
    ContextFilter().filter(record)
    RedactingFilter().filter(record)
    return record


# --- JSON -----------------------------------------------------------------------------------------------------


def test_a_json_line_has_the_documented_fields():
    token = request_id_var.set("req-123")
    try:
        record = _filtered(_record())
    finally:
        request_id_var.reset(token)

    line = JsonFormatter().format(record)

    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-01-01T00:00:00.250Z",
        "level": "INFO",
        "logger": "bots.services",
        "message": "hello world",
        "request_id": "req-123",
    }


def test_a_json_line_outside_a_request_has_a_null_request_id_and_inside_a_task_its_id():
    token = task_id_var.set("task-9")
    try:
        record = _filtered(_record())
    finally:
        task_id_var.reset(token)

    entry = json.loads(JsonFormatter().format(record))

    assert entry["request_id"] is None
    assert entry["task_id"] == "task-9"


def test_a_json_line_carries_the_exception_on_one_line():
    try:
        raise ValueError("multi\nline")
    except ValueError:
        record = _filtered(_record("failed", (), level=logging.ERROR, exc_info=sys.exc_info()))

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: multi\nline")


def test_a_json_line_formats_an_exception_that_no_filter_rendered():
    try:
        raise KeyError("k")
    except KeyError:
        record = _record("failed", (), exc_info=sys.exc_info())

    assert "KeyError" in json.loads(JsonFormatter().format(record))["exception"]


def test_structured_access_fields_and_stack_are_kept():
    record = _filtered(_record(http={"method": "GET", "status": 200}, stack_info="Stack (most recent call last):"))

    entry = json.loads(JsonFormatter().format(record))

    assert entry["http"] == {"method": "GET", "status": 200}
    assert entry["stack"].startswith("Stack")


def test_the_request_id_comes_from_the_request_after_the_middleware_returned():
    class Request:
        request_id = "from-the-request"

    record = _filtered(_record(request=Request()))  # what django.request logs: the request in `extra`

    assert json.loads(JsonFormatter().format(record))["request_id"] == "from-the-request"


def test_an_id_given_by_the_caller_is_kept():
    token = request_id_var.set("context-id")
    try:
        record = _filtered(_record(request_id="explicit-id"))
    finally:
        request_id_var.reset(token)

    assert record.request_id == "explicit-id"


# --- Plain ----------------------------------------------------------------------------------------------------


def test_a_plain_line_shows_the_ids_when_there_are_some():
    token = request_id_var.set("req-123")
    try:
        with_id = PlainFormatter().format(_filtered(_record()))
    finally:
        request_id_var.reset(token)
    without = PlainFormatter().format(_filtered(_record()))

    assert with_id.endswith(" INFO bots.services [req req-123] hello world")
    assert without.endswith(" INFO bots.services hello world")


# --- The LOGGING setting --------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_every_handler_has_the_context_and_redaction_filters(log_format):
    config = logging_config(level="INFO", log_format=log_format)

    assert config["handlers"]
    for handler in config["handlers"].values():
        assert handler["filters"] == ["context", "redact"]
        assert handler["formatter"] == log_format
    # Django's own handlers (console, mail_admins, runserver's, warnings') are replaced by propagation to ours.
    for name in ("django", "django.server", "py.warnings"):
        assert config["loggers"][name]["handlers"] == []
        assert config["loggers"][name]["propagate"] is True


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, plain"):
        logging_config(level="INFO", log_format="xml")


@pytest.fixture
def applied_logging():
    """Apply the real LOGGING (the settings'), with the console handler writing into a buffer; restore after."""
    buffer = io.StringIO()

    def apply(config: dict) -> io.StringIO:
        logging.config.dictConfig(config)
        for handler in logging.getLogger().handlers:
            handler.setStream(buffer)
        return buffer

    yield apply
    logging.config.dictConfig(django_settings.LOGGING)


def test_the_configured_handlers_write_json_with_django_loggers_propagating(applied_logging):
    buffer = applied_logging(logging_config(level="INFO", log_format="json"))

    logging.getLogger("django.server").info('"GET /x?token=abc123secret HTTP/1.1" 200 2')
    logging.getLogger("bots.services").warning("plain warning")

    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == ["django.server", "bots.services"]
    assert "abc123secret" not in lines[0]["message"]


def test_the_settings_use_json_in_these_tests_because_debug_is_off():
    assert django_settings.DEBUG is False
    assert django_settings.LOG_FORMAT == "json"
    assert logging_config(level=django_settings.LOG_LEVEL, log_format="json") == django_settings.LOGGING


# --- Celery ---------------------------------------------------------------------------------------------------


def test_celery_workers_log_through_our_configuration(applied_logging):
    from celery import signals

    buffer = applied_logging({"version": 1, "disable_existing_loggers": False})  # something else in place

    receivers = signals.setup_logging.send(sender=None, loglevel="INFO", logfile=None, format="", colorize=False)

    assert receivers, "no receiver: Celery would replace the root handlers with its own, unfiltered"
    handler = logging.getLogger().handlers[0]
    assert [type(f).__name__ for f in handler.filters] == ["ContextFilter", "RedactingFilter"]
    assert isinstance(handler.formatter, JsonFormatter)
    assert buffer.getvalue() == ""


@pytest.mark.django_db
def test_a_task_logs_with_its_id_and_is_counted(settings, records):
    from celery import shared_task

    from config.monitoring.metrics import REGISTRY

    @shared_task(name="config.tests.logging_task")
    def logging_task():
        logging.getLogger("config.tests").warning("inside the task")

    def count():
        labels = {"task": "config.tests.logging_task", "outcome": "SUCCESS"}
        return REGISTRY.get_sample_value("voicebot_celery_tasks_total", labels) or 0

    before = count()
    result = logging_task.delay()  # eager in the tests, as without a broker

    assert [record.task_id for record in records if record.name == "config.tests"] == [result.id]
    assert task_id_var.get() is None  # reset when the task ended
    assert count() == before + 1


# --- LOG_FORMAT from the environment --------------------------------------------------------------------------

PRINT_FORMAT = "from django.conf import settings as s; print(s.LOG_FORMAT)"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, "plain"),  # the quick start: DEBUG on
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50}, "json"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 50, "LOG_FORMAT": "plain"}, "plain"),
        ({"LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_log_format_defaults_follow_debug(variables, expected):
    result = manage("shell", "--verbosity", "0", "-c", PRINT_FORMAT, **variables)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == expected


@pytest.mark.slow
def test_an_unknown_log_format_stops_the_start():
    result = manage("check", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be one of json, plain, not 'xml'" in result.stderr


WARN = "import warnings; warnings.warn('deprecated call with token=abc123secret', UserWarning)"


@pytest.mark.slow
def test_python_warnings_are_json_lines_and_redacted():
    result = manage("shell", "--verbosity", "0", "-c", WARN, LOG_FORMAT="json")

    assert result.returncode == 0, result.stderr
    [line] = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert result.stderr.strip().count("\n") == 0  # nothing else printed: no raw warning on standard error
    assert line["logger"] == "py.warnings"
    assert "UserWarning: deprecated call with token=[REDACTED]" in line["message"]
