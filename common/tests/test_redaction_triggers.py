"""The redactor skips its patterns for a text without any of TRIGGERS (issue 16: the access log's fields). That is
safe only while every pattern needs a trigger to match: checked here on texts generated from each pattern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from common.redaction import PATTERNS, REDACTED, TRIGGERS, Redactor


@pytest.mark.parametrize("pattern", [pattern for pattern, _ in PATTERNS], ids=lambda pattern: pattern.pattern[:40])
def test_every_pattern_needs_a_trigger(pattern):
    @settings(max_examples=300, deadline=None, database=None)
    @given(st.from_regex(pattern))
    def check(text: str) -> None:
        match = pattern.search(text)
        assert match is not None
        assert TRIGGERS.search(match.group(0)) is not None, match.group(0)

    check()


@pytest.mark.parametrize(
    "text",
    ["GET", "127.0.0.1", "/api/bots/status/4b6f7c1e-1e0b-4a8e-9b1c-2f3e4d5c6b7a", "Mozilla/5.0 (X11; Linux x86_64)"],
)
def test_plain_fields_pass_unchanged_and_quickly(text):
    assert TRIGGERS.search(text) is None
    assert Redactor(["s3cr3t-value"]).redact(text) == text


def test_a_configured_value_is_redacted_even_without_a_trigger():
    assert Redactor(["s3cr3t-value"]).redact("path/s3cr3t-value/x") == f"path/{REDACTED}/x"
