"""A database that does not answer, for the tests of health, readiness and the 503 answers: the real default
connection pointed at a local port where nothing listens (the ``closed_port`` fixture, in conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections


@contextmanager
def database_unreachable(port: int) -> Iterator[None]:
    """Point the real default connection at ``port``, where no server listens, then put it back."""
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=port)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
