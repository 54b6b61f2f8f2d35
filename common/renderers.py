"""DRF's JSON, written by orjson (issue 16).

Writing a list of 200 bots took DRF's ``JSONRenderer`` 0.8 ms (the ``json`` module, with DRF's encoder for what it
does not know); orjson writes the same data in 0.05 ms. ``JSONRenderer`` here is DRF's, with orjson writing what
DRF would write, byte for byte, and DRF itself writing the rest:

- the same compact separators and raw UTF-8 (DRF's defaults: ``COMPACT_JSON``, ``UNICODE_JSON``), U+2028 and
  U+2029 escaped as DRF escapes them (they end a line in JavaScript);
- dates and times are handed to DRF's own encoder (``OPT_PASSTHROUGH_DATETIME``): ``…Z`` for UTC, as DRF writes
  them, not orjson's ``+00:00``; so is every other type orjson does not know (lazy text, Decimal, sets, …);
- whatever orjson refuses (an integer beyond 64 bits, a key that is not text, nesting deeper than 254) is written
  by DRF's own renderer, which answers as it always did; so is an indented answer (``Accept: …; indent=4``).

Two differences remain, both in numbers: a float under 1e-4 is written out (``0.00005``, not Python's ``5e-05``):
the same number to every JSON reader; and NaN or infinity, which DRF refuses with a 500, is written ``null``.

drf-orjson-renderer (the kept package) was measured and not taken: it writes datetimes orjson's way (``+00:00``),
Decimals as text where DRF writes numbers, ``null`` for any type it does not know, and does not escape U+2028; each
changes what clients receive.
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
_DEFAULT = JSONEncoder().default  # DRF's conversions of what orjson hands over; the encoder keeps no state
_LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(renderers.JSONRenderer):
    """DRF's ``JSONRenderer``, fast: see the module's docstring for what is the same and what is not."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None) -> bytes:
        if (
            data is None
            or not self.compact
            or self.ensure_ascii
            or self.encoder_class is not JSONEncoder
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            written = orjson.dumps(data, default=_DEFAULT, option=_OPTIONS)
        except (orjson.JSONEncodeError, TypeError, ValueError):
            return super().render(data, accepted_media_type, renderer_context)
        for character, escaped in _LINE_SEPARATORS:
            if character in written:
                written = written.replace(character, escaped)
        return written
