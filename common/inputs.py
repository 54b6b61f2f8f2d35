"""What comes in from outside is checked once, where it enters, so that hostile input is a clear 4xx and never a
500 deep inside (a driver's ``DataError``, a ``RecursionError``, a float that JSON cannot write back).

The rules, each applied in one place:

- **Addresses.** A NUL character (``%00``) in the path or the query string is refused with 400 before any view
  runs (``RefuseNulInAddressMiddleware``): PostgreSQL cannot store or compare text that holds one, and no id, name
  or search term of ours contains one. Ids in paths are matched by the converters below (``<bot_uuid:uuid>``, …),
  so a malformed id is a 404 that never reaches a query.
- **JSON bodies** (``load_json``; ``JSONParser`` is DRF's parser with these rules, the API's default). The size is
  checked before the body is read (413), the nesting depth before it is parsed (400: Python's parser recurses, and
  a body nested 100,000 deep would exhaust the stack), and ``NaN``/``Infinity`` (not JSON) are refused.
  *From users* (the API's JSON, the legacy create's ``config``), a NUL in a string and a number too large to store
  (``1e400``, an integer beyond 64 bits) are refused with 400 and a message saying so.
  *From machines* (VAPI's server messages, Clerk's webhooks), NULs are removed from every string and such numbers
  read as ``null``, i.e. "not said": refusing would make the sender retry, for ever, a delivery that can never
  succeed, and lose the rest of it (a call's transcript for the sake of an absurd cost). Each field is then
  checked for its range where it is read (``analytics.services``).
- **Other machine text** bound for PostgreSQL goes through ``pg_text`` (NUL removed). Text typed by users into
  forms and serializers is refused by Django's and DRF's own ``ProhibitNullCharactersValidator``.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from itertools import accumulate
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework import parsers, serializers

from common.errors import ServiceError, is_api_request, json_error, refused_page

# Deeper than any payload we read (VAPI's call objects, with their assistant and tool schemas, stay under 20); far
# below Python's recursion limit, so nothing that walks a parsed body can overflow the stack.
MAX_JSON_DEPTH = 64
# Integers beyond this (64 bits) fit no column of ours.
MAX_JSON_INTEGER = 2**63 - 1
NUL = "\x00"


class InvalidInput(ServiceError):
    status_code = 400
    default_message = "Malformed JSON"


class BodyTooLarge(ServiceError):
    status_code = 413
    default_message = "Request body too large"


# --- JSON ----------------------------------------------------------------------------------------------------------

# A JSON string, escapes included; possessive, so an unterminated string costs one pass, not a backtracking search.
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 and -1 as signed bytes


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests arrays and objects deeper than ``limit``, found without parsing it: the
    running count of brackets outside strings, in C (a few microseconds for a usual body; tens of milliseconds for
    megabytes of brackets). Malformed text may be over-counted, which only turns one 400 into another."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # cannot be deeper than it has brackets: the usual case, free
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(array("b", brackets.translate(_DEPTH_STEPS))), default=0) > limit


def _walk_strings(value: Any, change) -> Any:
    """``value`` with ``change`` applied to every string in it (keys too)."""
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {change(key): _walk_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk_strings(item, change) for item in value]
    return value


def _refuse_nul(text: str) -> str:
    if NUL in text:
        raise InvalidInput("Text must not contain NUL characters")
    return text


def pg_text(text: str) -> str:
    """Machine-sent text as PostgreSQL can store it: without NUL characters."""
    return text.replace(NUL, "") if NUL in text else text


def load_json(raw: bytes | str, *, from_machine: bool = False, max_bytes: int | None = None) -> Any:
    """Parse a JSON body by the rules in this module's docstring. ``InvalidInput`` (400) or ``BodyTooLarge`` (413)
    when it breaks them."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    if max_bytes is not None and len(raw) > max_bytes:
        raise BodyTooLarge
    if json_depth_exceeds(raw):
        raise InvalidInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")

    def unstorable(what: str) -> None:
        if not from_machine:
            raise InvalidInput(f"Numbers must be finite and fit in 64 bits ({what})")

    def parse_float(text: str) -> float | None:
        value = float(text)
        if math.isfinite(value):
            return value
        return unstorable(text[:20])

    def parse_int(text: str) -> int | None:
        value = int(text)  # Python refuses more than 4,300 digits itself (ValueError: malformed)
        if -MAX_JSON_INTEGER - 1 <= value <= MAX_JSON_INTEGER:
            return value
        return unstorable(text[:20] + "…")

    def parse_constant(name: str) -> None:
        return unstorable(name)

    try:
        value = json.loads(raw, parse_float=parse_float, parse_int=parse_int, parse_constant=parse_constant)
    except RecursionError:  # not reachable within MAX_JSON_DEPTH; kept so that no parser path can 500
        raise InvalidInput(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:
        raise InvalidInput("Malformed JSON") from None
    # JSON writes a NUL only as the escape \u0000: without it in the text, no string can hold one.
    if b"\\u0000" in raw:
        value = _walk_strings(value, pg_text if from_machine else _refuse_nul)
    return value


def read_body(request: HttpRequest, *, max_bytes: int) -> bytes:
    """The request body, at most ``max_bytes`` (413 beyond, decided from Content-Length before reading when it is
    given). For routes whose bodies may be larger than Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (VAPI's reports)."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if hasattr(request, "_body"):  # already read (and bounded by Django's own limit)
        body = request._body
    else:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > max_bytes:
            raise BodyTooLarge
        body = request.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise BodyTooLarge
    return body


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser under this module's rules for user input: bounded size (``DATA_UPLOAD_MAX_MEMORY_SIZE``)
    and depth, finite numbers, no NUL in strings. The API's default parser."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge
        return load_json(raw)


# --- Addresses -------------------------------------------------------------------------------------------------------


class RefuseNulInAddressMiddleware:
    """400 for a request whose path or query string holds a NUL character, before anything reads it (views,
    the admin's search, filters, pages): PostgreSQL refuses such text with an error, and nothing we store or look
    up contains one. JSON under ``/api/``, the product's error page elsewhere."""

    MESSAGE = "The address contains a NUL character"

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path arrives decoded; the query string percent-encoded (a NUL can only be written %00 there).
        if NUL in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            if is_api_request(request):
                return json_error(400, self.MESSAGE)
            return refused_page(400, self.MESSAGE)
        return self.get_response(request)


# --- Ids in paths -----------------------------------------------------------------------------------------------------

# A bot's public id: a UUID as we (and the original's Prisma) write them, hex in either case.
BOT_UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class _StringConverter:
    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: Any) -> str:
        return str(value)


class BotUuidConverter(_StringConverter):
    regex = BOT_UUID_PATTERN


class RecordIdConverter(_StringConverter):
    """Our primary keys (CUIDs, ``c`` and 24 base-36 digits) and those imported from the original (the same)."""

    regex = "[0-9A-Za-z_-]{1,64}"


class SessionIdConverter(_StringConverter):
    """A widget session's id, ``session_<milliseconds>_<hex>`` (analytics.services.new_session_id)."""

    regex = r"session_\d{10,16}_[0-9a-f]{8,32}"


class ExternalIdConverter(_StringConverter):
    """An id another system gave (VAPI's call ids are UUIDs; imported and test data use other printable ids)."""

    regex = "[0-9A-Za-z._:-]{1,100}"


PATH_CONVERTERS = {
    "bot_uuid": BotUuidConverter,
    "record_id": RecordIdConverter,
    "session_id": SessionIdConverter,
    "external_id": ExternalIdConverter,
}


def register_path_converters() -> None:
    from django.urls import register_converter

    for name, converter in PATH_CONVERTERS.items():
        register_converter(converter, name)


# --- Fields of JSON bodies: a value of another type than the schema states is refused ----------------------------
# (DRF's fields would read 0 as "0" and "yes" as true), so that what the schema says and what is accepted are the
# same (the conformance run, config/tests/test_conformance.py, holds them to it).


class _TextOnly:
    """Text is text: a number is not read as its digits. Its length is the length sent (the schema's maxLength):
    DRF would measure it after trimming the whitespace around it."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class TextField(_TextOnly, serializers.CharField):
    pass


class URLTextField(_TextOnly, serializers.URLField):
    pass


class StrictBooleanField(serializers.BooleanField):
    """true or false, as JSON writes them (DRF's BooleanField also reads 1, "yes", "on", …)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def machine_field(help_text: str) -> serializers.JSONField:
    """A field of a machine's message (VAPI's, Clerk's) as the schema documents it: any JSON, optional. The
    handler reads it leniently: a value of another type than ``help_text`` describes counts as "not said"."""
    return serializers.JSONField(required=False, help_text=help_text)
