"""The API's JSON renderer writes what DRF's writes, byte for byte, faster (issue 16)."""

from __future__ import annotations

import datetime
import decimal
import enum
import ipaddress
import uuid
import zoneinfo

import pytest
from django.db import models
from django.utils.translation import gettext_lazy
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from bots.tests.factories import BotFactory
from common.renderers import JSONRenderer


class Colour(models.TextChoices):
    RED = "RED", "Red"


class Level(enum.IntEnum):
    HIGH = 3


def drf(data, media_type=None) -> bytes:
    return renderers.JSONRenderer().render(data, media_type)


def ours(data, media_type=None) -> bytes:
    return JSONRenderer().render(data, media_type)


def deep(levels: int):
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


UTC_NOW = datetime.datetime(2026, 12, 6, 10, 34, 25, 123456, tzinfo=datetime.UTC)

PAYLOADS = {
    "envelope": {"success": True, "count": 2, "bots": [{"name": "A", "n": 1}, {"name": "B", "n": None}]},
    "text": {"ascii": "plain", "accents": "café, Grüße, 日本語, emoji 🎙️", "markup": "<script>&'\"/\\</script>"},
    "control characters": {"text": "tab\tnew\nline\rcarriage\x00nul\x1funit\x7fdel"},
    "line separators": {"text": "one\u2028two\u2029three", "twice": "\u2028\u2028"},
    "numbers": {"int": -42, "big": 2**63 - 1, "float": 0.1, "cost": 0.0123, "large": 1.5e16, "zero": -0.0},
    "utc datetime": {"at": UTC_NOW},
    "zoned datetime": {"at": UTC_NOW.astimezone(zoneinfo.ZoneInfo("Asia/Kolkata"))},
    "naive datetime": {"at": datetime.datetime(2026, 1, 2, 3, 4, 5)},  # noqa: DTZ001 - written as DRF writes it
    "date and time": {"day": datetime.date(2026, 12, 6), "time": datetime.time(10, 34, 25, 5)},
    "timedelta": {"took": datetime.timedelta(seconds=90, microseconds=5)},
    "decimal": {"price": decimal.Decimal("12.50")},
    "uuid": {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    "lazy text": {"message": gettext_lazy("This field is required.")},
    "choices": {"colour": Colour.RED, "level": Level.HIGH},
    "address": {"ip": ipaddress.ip_address("192.0.2.1")},
    "collections": {"tuple": (1, 2), "set": {3}, "frozen": frozenset({"x"}), "bytes": b"raw"},
    "DRF's return types": ReturnDict({"rows": ReturnList([{"a": 1}], serializer=None)}, serializer=None),
    "a list at the top": [1, "two", None, True, False],
    "empty": {},
    # What orjson refuses is written by DRF itself.
    "an integer beyond 64 bits": {"n": 2**70},
    "keys that are not text": {1: "one", None: "none", 2.5: "half"},
    "nesting": {"a": deep(40)},
}


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_the_same_bytes_as_drf(payload):
    assert ours(payload) == drf(payload)


def test_nesting_deeper_than_orjson_writes_is_written_by_drf():
    payload = {"deep": deep(300)}  # orjson stops at 254 levels
    assert ours(payload) == drf(payload)


def test_line_separators_are_escaped_as_drf_escapes_them():
    assert ours({"t": "a\u2028b\u2029c"}) == b'{"t":"a\\u2028b\\u2029c"}'


def test_an_indented_answer_is_drf_own():
    payload = {"a": [1, {"b": UTC_NOW}]}
    media_type = "application/json; indent=4"
    assert ours(payload, media_type) == drf(payload, media_type)
    assert b"\n    " in ours(payload, media_type)


def test_none_is_an_empty_body():
    assert ours(None) == drf(None) == b""


def test_what_neither_can_write_fails_as_in_drf():
    with pytest.raises(TypeError):
        drf({"o": object()})
    with pytest.raises(TypeError):
        ours({"o": object()})


def test_small_floats_are_the_same_numbers_written_out():
    """The one difference in bytes: orjson does not use Python's exponent form under 1e-4. The same number."""
    import json

    assert ours({"cost": 5e-05}) == b'{"cost":0.00005}'
    assert json.loads(ours({"cost": 5e-05})) == json.loads(drf({"cost": 5e-05}))


def test_nan_is_null_rather_than_an_error():
    with pytest.raises(ValueError, match="Out of range float values"):
        drf({"n": float("nan")})
    assert ours({"n": float("nan"), "i": float("inf")}) == b'{"n":null,"i":null}'


@pytest.mark.django_db
def test_the_api_answers_with_it(client, settings):
    """The API's answers are this renderer's, and they are DRF's bytes: the long bot list, as the frontend reads
    it, rendered both ways."""
    from accounts.tests.factories import UserFactory
    from bots.api.legacy import ListView

    owner = UserFactory()
    for n in range(3):
        BotFactory(user=owner, name=f"Bot {n} \u2028", system_prompt="Grüße " * n)
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == "common.renderers.JSONRenderer"
    assert isinstance(ListView().get_renderers()[0], JSONRenderer)
    client.force_login(owner)
    response = client.get("/api/bots/list")
    assert response.status_code == 200
    assert response.content == drf(response.data)
    assert b"\\u2028" in response.content
