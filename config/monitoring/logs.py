"""Log formats and the ``LOGGING`` dict of settings.py.

``LOG_FORMAT=json`` (the default when DEBUG is off) writes one JSON object per line, for a log collector (Azure
Monitor, Loki, CloudWatch, …) to index without parsing: ``time`` (UTC, ISO 8601, milliseconds), ``level``,
``logger``, ``message``, ``request_id`` (null outside a request), ``task_id`` (inside a Celery task),
``exception`` (the traceback, when there is one), ``stack`` (``stack_info``) and ``http`` (gunicorn's access
lines). ``LOG_FORMAT=plain`` (the default in development) writes the same as readable lines.

Every handler gets two filters: ``ContextFilter`` puts the request and task ids on the record, and
``RedactingFilter`` removes secrets from it (common/redaction.py). Django's own ``django``,
``django.server`` and ``py.warnings`` loggers lose the handlers Django gives them by default and propagate to ours:
one format, one redaction, and no tracebacks mailed to ADMINS from under our feet. Python's warnings are routed
through logging too (``configure_logging``), instead of being printed raw to standard error.

The JSON encoding is the standard library's ``json``: a log line is a flat object, and a formatter of our own keeps
the field names and the redaction under our control (a library would add a dependency for thirty lines).
"""

from __future__ import annotations

import datetime
import json
import logging
import logging.config
from typing import Any

from config.monitoring.context import current_request_id, current_task_id

LOG_FORMATS = ("json", "plain")


class ContextFilter(logging.Filter):
    """Sets ``record.request_id`` and ``record.task_id`` (None when not serving one) unless the record already has
    them. Django logs a request's error status after the request id middleware has returned; such records carry
    the request, and its id is read from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request = getattr(record, "request", None)
            record.request_id = current_request_id() or getattr(request, "request_id", None)
        if getattr(record, "task_id", None) is None:
            record.task_id = current_task_id()
        return True


def _exception_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    # The redaction filter has already rendered (and redacted) exc_text; render here only for a record that
    # reached this formatter some other way, as logging.Formatter itself does.
    if record.exc_info and not record.exc_text:
        record.exc_text = formatter.formatException(record.exc_info)
    return record.exc_text or None


class JsonFormatter(logging.Formatter):
    """One JSON object per line (newlines inside messages and tracebacks are escaped by the encoder)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        task_id = getattr(record, "task_id", None)
        if task_id:
            entry["task_id"] = task_id
        exception = _exception_text(self, record)
        if exception:
            entry["exception"] = exception
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            entry["http"] = http
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """``2026-05-01 12:00:00,123 INFO bots.services [req 5f0c…] message``, the traceback on the following lines."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        context = ""
        request_id = getattr(record, "request_id", None)
        task_id = getattr(record, "task_id", None)
        if request_id:
            context += f" [req {request_id}]"
        if task_id:
            context += f" [task {task_id}]"
        record.context = context
        return super().format(record)


def make_formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else PlainFormatter()


def handler_filters() -> list[logging.Filter]:
    """The filters every handler needs, in order: context first, then redaction (which sees the final message)."""
    from common.redaction import RedactingFilter

    return [ContextFilter(), RedactingFilter()]


def configure_logging(config: dict[str, Any]) -> None:
    """``LOGGING_CONFIG`` (Django calls it with ``LOGGING``; Celery's worker and beat through ``setup_logging``).

    Also routes Python's warnings (a library's deprecation, whitenoise's missing static folder) through logging:
    left to themselves they are printed to standard error, outside the JSON format and the redaction filter."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


def logging_config(*, level: str, log_format: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: one console handler (standard error) with the chosen format and both filters."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "config.monitoring.logs.ContextFilter"},
            "redact": {"()": "common.redaction.RedactingFilter"},
        },
        "formatters": {
            "json": {"()": "config.monitoring.logs.JsonFormatter"},
            "plain": {"()": "config.monitoring.logs.PlainFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context", "redact"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults give these their own handlers (console in DEBUG, mail_admins, runserver's
            # request lines, warnings), which have neither our format nor our filters. Emptied here, they
            # propagate to the root handler.
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.server": {"handlers": [], "level": level, "propagate": True},
            "py.warnings": {"handlers": [], "propagate": True},
            "django.db.backends": {"level": "INFO", "propagate": True},
            # The Azure SDK logs every blob request and response (headers included) at INFO: a backup or an
            # upload to Azure Storage would flood the logs. Its warnings and errors still show.
            "azure": {"level": "WARNING", "propagate": True},
        },
    }
