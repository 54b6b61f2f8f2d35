"""Hostile input is refused where it enters (common/inputs.py): NUL characters, deep or huge JSON, numbers no
column can hold, malformed ids. Each is a clear 4xx, never a 500."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from bots.tests.factories import BotFactory
from common.inputs import MAX_JSON_DEPTH, BodyTooLarge, InvalidInput, json_depth_exceeds, load_json
from documents.tests.factories import DocumentFactory

UUID = "0b6f7c2a-1111-4222-8333-944445555666"


# --- load_json -----------------------------------------------------------------------------------------------------


def nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def test_nesting_up_to_the_limit_is_read_and_beyond_it_refused():
    assert load_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(InvalidInput, match="nested deeper than 64 levels"):
        load_json(nested(MAX_JSON_DEPTH + 1))
    with pytest.raises(InvalidInput, match="nested deeper than 64 levels"):
        load_json('{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1))


def test_a_hundred_thousand_levels_are_refused_before_parsing_and_quickly():
    started = time.perf_counter()
    for raw in (nested(100_000), "[" * 2_000_000, '{"a":' * 100_000):
        with pytest.raises(InvalidInput):
            load_json(raw)
    assert time.perf_counter() - started < 2  # bounded work, not a parser's stack


def test_brackets_inside_strings_are_not_nesting():
    text = json.dumps({"text": "[" * 500 + '\\"{' * 100, "list": ["]]]", "{{{"]})

    assert json_depth_exceeds(text.encode()) is False
    assert load_json(text)["list"] == ["]]]", "{{{"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9223372036854775808"])
def test_numbers_that_no_column_holds(literal):
    with pytest.raises(InvalidInput, match="Numbers must be finite"):
        load_json(f'{{"cost": {literal}}}')
    # From a machine the value is "not said": the rest of its delivery is kept.
    assert load_json(f'{{"cost": {literal}, "kept": 1}}', from_machine=True) == {"cost": None, "kept": 1}


def test_the_largest_numbers_that_fit_are_kept():
    assert load_json("[9223372036854775807, -9223372036854775808, 1.7e308]") == [2**63 - 1, -(2**63), 1.7e308]


def test_nul_characters_are_refused_from_users_and_removed_from_machines():
    raw = json.dumps({"name\x00": ["a\x00b", {"deep": "\x00"}], "ok": "fine"})

    with pytest.raises(InvalidInput, match="NUL"):
        load_json(raw)
    assert load_json(raw, from_machine=True) == {"name": ["ab", {"deep": ""}], "ok": "fine"}


def test_an_escaped_backslash_before_u0000_is_no_nul():
    raw = json.dumps({"path": "C:\\u0000"})  # the six characters \u0000, not a NUL

    assert load_json(raw) == {"path": "C:\\u0000"}


def test_size_is_checked_before_parsing():
    with pytest.raises(BodyTooLarge):
        load_json(b"[" + b"1," * 100 + b"1]", max_bytes=100)


@pytest.mark.parametrize("raw", ["", "{", "[1,]", b"\xff\xfe{", '{"a": 1} trailing'])
def test_malformed(raw):
    with pytest.raises(InvalidInput, match="Malformed JSON"):
        load_json(raw)


# --- NUL in addresses: 400 before any view, whoever asks ---------------------------------------------------------


@pytest.fixture
def owner_bot(db, user):
    return BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES")


def _api_routes(bot) -> list[tuple[str, str]]:
    document = DocumentFactory(bot=bot)
    u = bot.uuid
    return [
        ("get", f"/api/bots/status/{u}%00"),
        ("get", "/api/bots/status/%00"),
        ("patch", f"/api/bots/status/{u}%00"),
        ("get", f"/api/widget/{u}%00/config"),
        ("get", f"/api/bots/{u}%00"),
        ("get", f"/api/bots/{u}/files%00"),
        ("get", f"/api/bots/{u}/files/a%00.pdf"),
        ("post", f"/api/bots/{u}%00/files"),
        ("get", f"/api/bots/{u}/documents/{document.pk}%00"),
        ("delete", f"/api/bots/{u}/documents/{document.pk}%00"),
        ("get", f"/api/bots/{u}/search?q=hours%00"),
        ("get", f"/api/bots/{u}/search?q=%00"),
        ("get", "/api/analytics/logs?callId=%00"),
        ("get", "/api/analytics/logs?botId=a%00b"),
        ("get", "/api/analytics/calls?tz=UTC%00"),
        ("post", "/api/analytics/sessions/session_1764000000000_0123456789abcdef%00/end"),
        ("get", "/api/bots?search=%00"),
        ("get", "/api/nothing%00here"),
    ]


def test_a_nul_in_an_api_address_is_400_for_anyone(owner_bot, client_for, user, other_user):
    routes = _api_routes(owner_bot)
    for client in (Client(raise_request_exception=False), client_for(user), client_for(other_user)):
        for method, path in routes:
            response = getattr(client, method)(path)
            assert response.status_code == 400, (method, path, response.status_code)
            assert response.json() == {"success": False, "error": "The address contains a NUL character"}


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/bots/{uuid}%00",
        "/dashboard/bots/{uuid}/status%00",
        "/dashboard/bots/{uuid}/documents?page=%00",
        "/dashboard/analytics?bot=%00",
        "/dashboard/analytics/calls/call%00",
        "/test-embed?bot=%00",
        "/admin/bots/bot/?q=%00",
        "/admin/bots/bot/%00/change/",
        "/sign-in?next=%00",
    ],
)
def test_a_nul_in_a_page_address_is_400_with_the_error_page(owner_bot, staff_client, path):
    response = staff_client.get(path.format(uuid=owner_bot.uuid))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "The address contains a NUL character" in response.content.decode()


# --- Ids in paths: a malformed one is a 404 that never reaches the database -----------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/bots/status/not-a-uuid",
        f"/api/bots/status/{UUID}x",
        "/api/widget/../config",
        f"/api/widget/{UUID[:-1]}/config",
        "/api/analytics/sessions/not-a-session/end",
        "/api/analytics/sessions/session_1_2/interaction",
    ],
)
def test_a_malformed_public_id_is_404_without_a_query(db, client, django_assert_num_queries, path):
    method = client.post if path.endswith(("/end", "/interaction")) else client.get
    with django_assert_num_queries(0):
        response = method(path)

    assert response.status_code == 404
    assert response.json()["success"] is False


@pytest.mark.parametrize(
    "path",
    [
        "/api/bots/not-a-uuid",
        "/api/bots/not-a-uuid/files",
        f"/api/bots/{UUID}/documents/not$an$id",
        f"/api/bots/{UUID}/documents/{'c' * 65}",
        "/api/bots/not-a-uuid/search?q=hours",
    ],
)
def test_a_malformed_owner_id_is_404(client_for, user, path):
    response = client_for(user).get(path)

    assert response.status_code == 404
    assert response.json()["success"] is False


# --- JSON bodies through the API's parser ------------------------------------------------------------------------


def test_the_api_refuses_deep_json(client_for, user):
    response = client_for(user).generic("POST", "/api/bots", nested(5_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "JSON nested deeper than 64 levels"}


def test_the_api_refuses_a_nul_in_text(client_for, user):
    body = {"name": "Front\x00desk", "welcomeMessage": "Hi", "systemPrompt": "Be kind"}

    response = client_for(user).post("/api/bots", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == "Text must not contain NUL characters"


def test_the_api_refuses_a_number_no_column_holds(client_for, user, owner_bot):
    response = client_for(user).generic(
        "PATCH", f"/api/bots/{owner_bot.uuid}", '{"name": "B", "x": 1e400}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("Numbers must be finite")


def test_the_api_refuses_a_json_body_over_the_limit(client_for, user, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client_for(user).generic(
        "POST", "/api/bots", json.dumps({"name": "x" * 2000}), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.json() == {"success": False, "error": "Request body too large"}


def test_the_public_session_route_refuses_deep_json(db, client):
    response = client.generic("POST", "/api/analytics/sessions", nested(10_000), content_type="application/json")

    assert response.status_code == 400
