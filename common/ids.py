"""CUID-style primary keys, as Prisma's ``cuid()`` made them in the original app.

Rows imported from the original keep their ids, and new rows get ids of the same shape: ``c`` + 8 base-36
digits of the millisecond clock + a 4-digit counter + a 4-digit process fingerprint + 8 random digits
(25 characters). Ids sort roughly by creation time, which keeps B-tree inserts local. They are identifiers, not
secrets: anything a caller must not guess (bot uuids, session ids) uses its own random value.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_BLOCK = 36**4


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _fingerprint(pid: int | None = None) -> str:
    host = sum(socket.gethostname().encode()) + 36
    return _base36((pid or os.getpid()) % 36**2, 2) + _base36(host % 36**2, 2)


_counter = itertools.count(secrets.randbelow(_BLOCK))
_FINGERPRINT = _fingerprint()


def _after_fork() -> None:
    """A forked process (gunicorn's workers, loaded once in the master) gets its own fingerprint and counter, as a
    process started from scratch would: the workers never share both."""
    global _counter, _FINGERPRINT
    _counter = itertools.count(secrets.randbelow(_BLOCK))
    _FINGERPRINT = _fingerprint()


os.register_at_fork(after_in_child=_after_fork)


def cuid() -> str:
    """A new 25-character CUID (v1 layout)."""
    millis = time.time_ns() // 1_000_000
    return (
        "c"
        + _base36(millis, 8)
        + _base36(next(_counter) % _BLOCK, 4)
        + _FINGERPRINT
        + _base36(secrets.randbelow(36**8), 8)
    )


def local_user_id() -> str:
    """Primary key for a user who does not come from Clerk (staff made with ``createsuperuser``).

    Clerk's ids start with ``user_``; ours never do, so the two can never collide.
    """
    return "local_" + cuid()
