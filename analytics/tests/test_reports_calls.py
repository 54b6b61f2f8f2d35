"""``/api/analytics/calls``, ``/api/analytics/logs`` (list and one call) and ``/api/analytics/calls/export``: every
figure against values computed by hand. The clock is frozen at ``NOW`` (see test_reports.py)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest

from analytics import selectors
from analytics.models import CallStatus
from analytics.tests.factories import CallFactory
from analytics.tests.test_reports import NOW, ago, at, get
from bots.models import BotStatus
from bots.tests.factories import BotFactory


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(selectors, "_now", lambda: NOW)


@pytest.fixture
def calls(user, other_user):
    """Two bots of the owner (assistants asst-a, asst-b) and their calls k1..k6, newest first: k2, k1, k3, k4, k5,
    k6. A stranger's call carries asst-b's id too: it must never count."""
    bot_a = BotFactory(user=user, status=BotStatus.ACTIVE, vapi_assistant_id="asst-a", name="Front desk")
    bot_b = BotFactory(user=user, status=BotStatus.ACTIVE, vapi_assistant_id="asst-b", name="Sales")
    ended = CallStatus.ENDED

    def call(bot, created_at, **fields):
        started = created_at + datetime.timedelta(seconds=5)
        duration = fields.get("duration")
        defaults = {
            "status": ended,
            "started_at": started,
            "ended_at": started + datetime.timedelta(seconds=duration) if duration is not None else None,
            "transcript": None,
            "recording": None,
            "summary": None,
            "message_count": 0,
            "phone_number": None,
        }
        return CallFactory(bot=bot, created_at=created_at, **{**defaults, **fields})

    rows = {
        # 23:30Z on 03-09: 00:30 on 03-10 in Berlin
        "k1": call(
            bot_a,
            at("2026-03-09T23:30:00+00:00"),
            ended_reason="customer-ended-call",
            duration=60,
            cost=0.10,
            transcript="AI: Hi\nUser: Hello",
            recording="https://storage.vapi.example/rec/k1.wav",
            summary="Asked for the opening hours.",
            message_count=6,
        ),
        "k2": call(
            bot_a, ago(hours=1), ended_reason="assistant-error", duration=15, cost=0.05, transcript="", message_count=2
        ),
        "k3": call(bot_a, ago(days=3), status=CallStatus.IN_PROGRESS, ended_reason=None, duration=None, cost=0),
        "k4": call(
            bot_b,
            ago(days=10),
            ended_reason="silence-timed-out",
            duration=301,
            cost=0.25,
            summary="=SUM(A1:A9)",
            phone_number="+15550100",
            type="inboundPhoneCall",
            message_count=9,
        ),
        "k5": call(bot_b, ago(days=20), ended_reason="assistant-not-found", duration=0, cost=0.0),
        "k6": call(bot_b, ago(days=40), ended_reason="customer-ended-call", duration=999, cost=1.0),
    }
    stranger = CallFactory(
        bot=BotFactory(user=other_user, status=BotStatus.ACTIVE), created_at=ago(hours=1), assistant_id="asst-b"
    )
    return {"bot_a": bot_a, "bot_b": bot_b, "stranger": stranger, **rows}


def ids(calls, *keys):
    return [calls[key].vapi_call_id for key in keys]


# --- /api/analytics/calls -------------------------------------------------------------------------------------


def test_calls_report(client_for, user, calls):
    body = get(client_for(user), "/api/analytics/calls")

    assert body["success"] is True
    assert (body["timeRange"], body["assistantId"]) == ("30d", None)
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 5, "hasMore": False}
    analytics = body["analytics"]
    # k1..k5; successful: k1, k4 (silence-timed-out is no error); failed: k2 (assistant-error), k5 (not found)
    assert analytics["overview"] == {"totalCalls": 5, "successfulCalls": 2, "failedCalls": 2, "successRate": "40.00"}
    # durations 60, 15, 301, 0 (k3 has none): average 376 / 4, total 376 s = 6.27 min
    assert analytics["duration"] == {"average": 94, "minimum": 0, "maximum": 301, "totalMinutes": 6}
    assert analytics["trends"] == {
        "volumeTrends": [
            {"date": "2026-02-18", "count": 1},
            {"date": "2026-02-28", "count": 1},
            {"date": "2026-03-07", "count": 1},
            {"date": "2026-03-09", "count": 1},
            {"date": "2026-03-10", "count": 1},
        ]
    }
    assert analytics["byAssistant"] == [
        # (60 + 15) / 2 = 37.5 -> 38; 301 / 2 = 150.5 -> 151 (half away from zero, as Math.round)
        {
            "assistantId": "asst-a",
            "totalCalls": 3,
            "successfulCalls": 1,
            "failedCalls": 1,
            "avgDuration": 38,
            "totalDuration": 75,
        },
        {
            "assistantId": "asst-b",
            "totalCalls": 2,
            "successfulCalls": 1,
            "failedCalls": 1,
            "avgDuration": 151,
            "totalDuration": 301,
        },
    ]
    assert [row["id"] for row in analytics["recentCalls"]] == ids(calls, "k2", "k1", "k3", "k4", "k5")
    assert analytics["recentCalls"][1] == {
        "id": calls["k1"].vapi_call_id,
        "assistantId": "asst-a",
        "status": "ended",
        "endedReason": "customer-ended-call",
        "createdAt": "2026-03-09T23:30:00Z",
        "startedAt": "2026-03-09T23:30:05Z",
        "endedAt": "2026-03-09T23:31:05Z",
        "duration": 60,
        "phoneNumber": None,
        "type": "webCall",
        "cost": 0.1,
    }
    assert analytics["recentCalls"][2]["status"] == "in-progress"
    assert analytics["recentCalls"][2]["endedAt"] is None
    assert analytics["recentCalls"][2]["duration"] is None
    assert body["metadata"] == {"generatedAt": "2026-03-10T12:00:00Z", "dataSource": "database", "timeZone": "UTC"}


def test_calls_report_day_buckets_follow_the_time_zone(client_for, user, calls):
    trends = get(client_for(user), "/api/analytics/calls", tz="Europe/Berlin")["analytics"]["trends"]
    assert trends["volumeTrends"] == [
        {"date": "2026-02-18", "count": 1},
        {"date": "2026-02-28", "count": 1},
        {"date": "2026-03-07", "count": 1},
        {"date": "2026-03-10", "count": 2},
    ]


def test_calls_report_for_one_assistant(client_for, user, calls):
    body = get(client_for(user), "/api/analytics/calls", assistantId="asst-b", timeRange="all")

    assert body["assistantId"] == "asst-b"
    assert body["pagination"]["total"] == 3  # k4, k5, k6: never the stranger's call with the same assistant id
    assert body["analytics"]["overview"] == {
        "totalCalls": 3,
        "successfulCalls": 2,
        "failedCalls": 1,
        "successRate": "66.67",
    }
    assert body["analytics"]["duration"] == {"average": 433, "minimum": 0, "maximum": 999, "totalMinutes": 22}
    assert [row["assistantId"] for row in body["analytics"]["byAssistant"]] == ["asst-b"]
    assert [row["id"] for row in body["analytics"]["recentCalls"]] == ids(calls, "k4", "k5", "k6")


def test_calls_report_pages(client_for, user, calls):
    client = client_for(user)
    pages = [get(client, "/api/analytics/calls", limit=2, page=page) for page in (1, 2, 3, 4)]

    assert [page["pagination"] for page in pages] == [
        {"page": 1, "limit": 2, "total": 5, "hasMore": True},
        {"page": 2, "limit": 2, "total": 5, "hasMore": True},
        {"page": 3, "limit": 2, "total": 5, "hasMore": False},
        {"page": 4, "limit": 2, "total": 5, "hasMore": False},
    ]
    assert [[row["id"] for row in page["analytics"]["recentCalls"]] for page in pages] == [
        ids(calls, "k2", "k1"),
        ids(calls, "k3", "k4"),
        ids(calls, "k5"),
        [],
    ]
    # the figures cover every page
    assert {page["analytics"]["overview"]["totalCalls"] for page in pages} == {5}


def test_range_edges(client_for, user):
    bot = BotFactory(user=user, status=BotStatus.ACTIVE, vapi_assistant_id="asst-edge")
    second = datetime.timedelta(seconds=1)
    for days in (7, 30, 90):
        CallFactory(bot=bot, created_at=ago(days=days) + second)  # in
        CallFactory(bot=bot, created_at=ago(days=days) - second)  # out
    client = client_for(user)

    totals = {
        time_range: get(client, "/api/analytics/calls", timeRange=time_range)["analytics"]["overview"]["totalCalls"]
        for time_range in ("7d", "30d", "90d", "all")
    }
    assert totals == {"7d": 1, "30d": 3, "90d": 5, "all": 6}


def test_calls_report_of_a_user_without_calls(client_for, user, calls, other_user):
    body = get(client_for(other_user), "/api/analytics/calls", assistantId="asst-a")
    assert body["analytics"]["overview"] == {
        "totalCalls": 0,
        "successfulCalls": 0,
        "failedCalls": 0,
        "successRate": "0.00",
    }
    assert body["analytics"]["duration"] == {"average": 0, "minimum": 0, "maximum": 0, "totalMinutes": 0}
    assert body["analytics"]["trends"]["volumeTrends"] == []
    assert body["analytics"]["byAssistant"] == []
    assert body["analytics"]["recentCalls"] == []


def test_the_stranger_sees_only_their_own_call(client_for, other_user, calls):
    analytics = get(client_for(other_user), "/api/analytics/calls")["analytics"]
    assert analytics["overview"]["totalCalls"] == 1
    assert [row["id"] for row in analytics["recentCalls"]] == [calls["stranger"].vapi_call_id]


@pytest.mark.parametrize(
    ("reason", "successful", "failed"),
    [
        ("customer-ended-call", 1, 0),
        ("assistant-ended-call", 1, 0),
        ("silence-timed-out", 1, 0),
        ("exceeded-max-duration", 1, 0),
        (None, 1, 0),
        ("assistant-error", 0, 1),
        ("pipeline-error-openai-llm-failed", 0, 1),
        ("twilio-failed-to-connect-call", 0, 1),
        ("call.in-progress.error-vapifault-openai-llm-failed", 0, 1),
        ("assistant-not-found", 0, 1),
        ("pipeline-no-available-llm-model", 0, 1),
    ],
)
def test_successful_and_failed_calls(client_for, user, reason, successful, failed):
    CallFactory(bot=BotFactory(user=user), created_at=ago(hours=1), ended_reason=reason)
    overview = get(client_for(user), "/api/analytics/calls")["analytics"]["overview"]
    assert (overview["successfulCalls"], overview["failedCalls"]) == (successful, failed)


def test_unfinished_calls_are_neither_successful_nor_failed(client_for, user):
    bot = BotFactory(user=user)
    for status in (CallStatus.QUEUED, CallStatus.RINGING, CallStatus.IN_PROGRESS, CallStatus.FORWARDING):
        CallFactory(bot=bot, created_at=ago(hours=1), status=status, ended_reason=None, duration=None)
    CallFactory(bot=bot, created_at=ago(hours=1))
    overview = get(client_for(user), "/api/analytics/calls")["analytics"]["overview"]
    assert overview == {"totalCalls": 5, "successfulCalls": 1, "failedCalls": 0, "successRate": "20.00"}


# --- /api/analytics/logs --------------------------------------------------------------------------------------


def test_logs(client_for, user, calls):
    body = get(client_for(user), "/api/analytics/logs")

    assert body["success"] is True
    # the last 7 days by default: k2, k1, k3
    assert (body["timeRange"], body["assistantId"], body["status"]) == ("7d", None, None)
    assert body["pagination"] == {"page": 1, "limit": 50, "total": 3, "hasMore": False}
    assert [row["id"] for row in body["logs"]] == ids(calls, "k2", "k1", "k3")
    assert body["logs"][1] == {
        "id": calls["k1"].vapi_call_id,
        "assistantId": "asst-a",
        "status": "ended",
        "endedReason": "customer-ended-call",
        "createdAt": "2026-03-09T23:30:00Z",
        "startedAt": "2026-03-09T23:30:05Z",
        "endedAt": "2026-03-09T23:31:05Z",
        "duration": 60,
        "phoneNumber": None,
        "type": "webCall",
        "cost": 0.1,
        "hasTranscript": True,
        "transcript": "AI: Hi\nUser: Hello",
        "hasRecording": True,
        "recordingUrl": "https://storage.vapi.example/rec/k1.wav",
        "messageCount": 6,
        "summary": "Asked for the opening hours.",
    }
    k2 = body["logs"][0]
    assert (k2["hasTranscript"], k2["transcript"], k2["hasRecording"], k2["recordingUrl"], k2["summary"]) == (
        False,
        None,
        False,
        None,
        None,
    )
    assert body["summary"] == {
        "totalCalls": 3,
        "callsWithTranscripts": 1,
        "callsWithRecordings": 1,
        "totalMessages": 8,
        "totalCost": 0.15,
        "avgDuration": 38,  # (60 + 15) / 2; k3 has no duration yet
    }
    assert body["distributions"] == {
        "status": [{"status": "ended", "count": 2}, {"status": "in-progress", "count": 1}],
        "assistant": [{"assistantId": "asst-a", "callCount": 3, "totalDuration": 75, "totalCost": 0.15}],
    }
    assert body["metadata"] == {
        "generatedAt": "2026-03-10T12:00:00Z",
        "dataSource": "database",
        "timeZone": "UTC",
        "botUuid": None,
        "from": None,
        "to": None,
    }


@pytest.mark.parametrize(
    ("params", "expected", "time_range"),
    [
        ({"status": "in-progress"}, ["k3"], "7d"),
        ({"status": "ended"}, ["k2", "k1"], "7d"),
        ({"assistantId": "asst-b", "timeRange": "30d"}, ["k4", "k5"], "30d"),
        ({"botUuid": "bot_b", "timeRange": "all"}, ["k4", "k5", "k6"], "all"),
        ({"bot": "bot_b", "timeRange": "all"}, ["k4", "k5", "k6"], "all"),
        ({"botUuid": "bot_a", "status": "ended", "timeRange": "90d"}, ["k2", "k1"], "90d"),
        ({"timeRange": "all", "status": "ended", "assistantId": "asst-b"}, ["k4", "k5", "k6"], "all"),
        # calendar days, both inclusive, in the time zone
        ({"from": "2026-03-10", "to": "2026-03-10"}, ["k2"], "custom"),
        ({"from": "2026-03-10", "to": "2026-03-10", "tz": "Europe/Berlin"}, ["k2", "k1"], "custom"),
        ({"from": "2026-03-09", "to": "2026-03-09", "tz": "Europe/Berlin"}, [], "custom"),
        ({"from": "2026-02-18", "to": "2026-02-28"}, ["k4", "k5"], "custom"),
        ({"to": "2026-02-20"}, ["k5", "k6"], "custom"),
        ({"from": "2026-03-07", "timeRange": "all"}, ["k2", "k1", "k3"], "custom"),
        ({"assistantId": "asst-unknown", "timeRange": "all"}, [], "all"),
    ],
)
def test_logs_filters(client_for, user, calls, params, expected, time_range):
    params = {name: calls[value].uuid if value in ("bot_a", "bot_b") else value for name, value in params.items()}

    body = get(client_for(user), "/api/analytics/logs", **params)

    assert [row["id"] for row in body["logs"]] == ids(calls, *expected)
    assert body["pagination"]["total"] == body["summary"]["totalCalls"] == len(expected)
    assert body["timeRange"] == time_range
    assert body["status"] == params.get("status")
    assert body["assistantId"] == params.get("assistantId")


def test_logs_pages(client_for, user, calls):
    client = client_for(user)
    pages = [get(client, "/api/analytics/logs", timeRange="all", limit=2, page=page) for page in (1, 2, 3)]

    assert [page["pagination"]["hasMore"] for page in pages] == [True, True, False]
    assert {page["pagination"]["total"] for page in pages} == {6}
    assert [[row["id"] for row in page["logs"]] for page in pages] == [
        ids(calls, "k2", "k1"),
        ids(calls, "k3", "k4"),
        ids(calls, "k5", "k6"),
    ]
    summary = pages[2]["summary"]
    assert (summary["totalCalls"], summary["totalCost"], summary["totalMessages"]) == (6, 1.4, 17)
    # durations 60, 15, 301, 0, 999 -> 1375 / 5 = 275
    assert summary["avgDuration"] == 275
    assert pages[2]["distributions"] == {
        "status": [{"status": "ended", "count": 5}, {"status": "in-progress", "count": 1}],
        "assistant": [
            {"assistantId": "asst-a", "callCount": 3, "totalDuration": 75, "totalCost": 0.15},
            {"assistantId": "asst-b", "callCount": 3, "totalDuration": 1300, "totalCost": 1.25},
        ],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "failed"}, "status"),
        ({"status": "IN_PROGRESS"}, "status"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "from"),
        ({"callId": "x" * 101}, "callId"),
    ],
)
def test_logs_invalid_filters_are_400(client_for, user, params, field):
    for url in ("/api/analytics/logs", "/api/analytics/calls/export"):
        if field == "callId" and url.endswith("export"):
            continue
        response = client_for(user).get(url, params)
        assert response.status_code == 400, response.content
        assert response.json()["success"] is False
        assert response.json()["error"].startswith(f"{field}: ")


def test_logs_of_one_call(client_for, user, calls):
    body = get(client_for(user), "/api/analytics/logs", callId=calls["k1"].vapi_call_id, timeRange="7d")

    assert body == {
        "success": True,
        "call": {
            "id": calls["k1"].vapi_call_id,
            "assistantId": "asst-a",
            "status": "ended",
            "createdAt": "2026-03-09T23:30:00Z",
            "startedAt": "2026-03-09T23:30:05Z",
            "endedAt": "2026-03-09T23:31:05Z",
            "duration": 60,
            "phoneNumber": None,
            "type": "webCall",
            "cost": 0.1,
            "endedReason": "customer-ended-call",
            "transcript": "AI: Hi\nUser: Hello",
            "recording": {
                "url": "https://storage.vapi.example/rec/k1.wav",
                "available": True,
                "size": None,
                "type": "audio/wav",
            },
            # stored before messages and the analysis object were kept: none, and the summary alone
            "messages": [],
            "analysis": {"summary": "Asked for the opening hours."},
        },
        "metadata": {"generatedAt": "2026-03-10T12:00:00Z", "dataSource": "database"},
    }


def test_logs_of_one_call_send_its_conversation_and_vapis_analysis(client_for, user):
    # What the original frontend's call detail reads: endedReason, messages[].role and .message, analysis as JSON.
    messages = [
        {"role": "bot", "message": "Hello!", "time": 1763632800500, "secondsFromStart": 0.5},
        {"role": "user", "message": "When do you open?", "time": 1763632803000, "endTime": 1763632804200},
    ]
    analysis = {"summary": "Asked when we open.", "successEvaluation": "true", "structuredData": {"topic": "hours"}}
    call = CallFactory(
        bot=BotFactory(user=user), ended_reason="silence-timed-out", messages=messages, analysis=analysis, summary="x"
    )

    detail = get(client_for(user), "/api/analytics/logs", callId=call.vapi_call_id)["call"]

    assert detail["endedReason"] == "silence-timed-out"
    assert detail["messages"] == messages
    assert detail["analysis"] == analysis


def test_logs_of_one_call_without_recording_or_summary(client_for, user, calls):
    # a call outside the default range is still found by its id
    call = get(client_for(user), "/api/analytics/logs", callId=calls["k3"].vapi_call_id)["call"]
    assert (call["status"], call["transcript"], call["recording"], call["analysis"], call["endedAt"]) == (
        "in-progress",
        None,
        None,
        None,
        None,
    )
    call = get(client_for(user), "/api/analytics/logs", callId=calls["k6"].vapi_call_id)["call"]
    assert call["duration"] == 999


def test_logs_of_an_mp3_recording(client_for, user):
    call = CallFactory(bot=BotFactory(user=user), recording="https://cdn.example/a/b.MP3?sig=1")
    recording = get(client_for(user), "/api/analytics/logs", callId=call.vapi_call_id)["call"]["recording"]
    assert recording == {
        "url": "https://cdn.example/a/b.MP3?sig=1",
        "available": True,
        "size": None,
        "type": "audio/mpeg",
    }


@pytest.mark.parametrize("whose", ["stranger", "nobody"])
def test_logs_of_another_users_call_or_none_is_404(client_for, user, calls, whose):
    call_id = calls["stranger"].vapi_call_id if whose == "stranger" else "call-that-does-not-exist"
    response = client_for(user).get("/api/analytics/logs", {"callId": call_id})
    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Call not found"}


def test_logs_of_a_stranger(client_for, other_user, calls):
    body = get(client_for(other_user), "/api/analytics/logs", timeRange="all")
    assert [row["id"] for row in body["logs"]] == [calls["stranger"].vapi_call_id]
    assert body["summary"]["totalCalls"] == 1
    # the owner's call is not the stranger's to see
    response = client_for(other_user).get("/api/analytics/logs", {"callId": calls["k1"].vapi_call_id})
    assert response.status_code == 404


# --- /api/analytics/calls/export ------------------------------------------------------------------------------


def export(client, **params) -> tuple[object, list[list[str]]]:
    response = client.get("/api/analytics/calls/export", params)
    assert response.status_code == 200, response.content
    content = b"".join(response.streaming_content).decode("utf-8")
    return response, list(csv.reader(io.StringIO(content)))


HEADER = [
    "vapiCallId",
    "botUuid",
    "botName",
    "assistantId",
    "status",
    "type",
    "endedReason",
    "phoneNumber",
    "cost",
    "duration",
    "createdAt",
    "startedAt",
    "endedAt",
    "messageCount",
    "summary",
    "transcript",
    "recording",
]


def test_export(client_for, user, calls):
    response, rows = export(client_for(user), timeRange="all")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="calls-2026-03-10.csv"'
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == ids(calls, "k2", "k1", "k3", "k4", "k5", "k6")
    bot_a, bot_b = calls["bot_a"], calls["bot_b"]
    assert rows[2] == [
        calls["k1"].vapi_call_id,
        bot_a.uuid,
        "Front desk",
        "asst-a",
        "ended",
        "webCall",
        "customer-ended-call",
        "",
        "0.1",
        "60",
        "2026-03-09T23:30:00+00:00",
        "2026-03-09T23:30:05+00:00",
        "2026-03-09T23:31:05+00:00",
        "6",
        "Asked for the opening hours.",
        "AI: Hi\nUser: Hello",
        "https://storage.vapi.example/rec/k1.wav",
    ]
    assert rows[3][4:7] == ["in-progress", "webCall", ""]
    assert rows[3][9] == rows[3][12] == ""
    # Cells a spreadsheet would run as formulas are defused.
    assert rows[4] == [
        calls["k4"].vapi_call_id,
        bot_b.uuid,
        "Sales",
        "asst-b",
        "ended",
        "inboundPhoneCall",
        "silence-timed-out",
        "'+15550100",
        "0.25",
        "301",
        "2026-02-28T12:00:00+00:00",
        "2026-02-28T12:00:05+00:00",
        "2026-02-28T12:05:06+00:00",
        "9",
        "'=SUM(A1:A9)",
        "",
        "",
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["k2", "k1", "k3"]),
        ({"status": "in-progress"}, ["k3"]),
        ({"assistantId": "asst-b", "timeRange": "90d"}, ["k4", "k5", "k6"]),
        ({"botUuid": "bot_a", "timeRange": "all"}, ["k2", "k1", "k3"]),
        ({"from": "2026-03-10", "to": "2026-03-10", "tz": "Europe/Berlin"}, ["k2", "k1"]),
    ],
)
def test_export_filters(client_for, user, calls, params, expected):
    params = {name: calls[value].uuid if value in ("bot_a", "bot_b") else value for name, value in params.items()}
    _, rows = export(client_for(user), **params)
    assert [row[0] for row in rows[1:]] == ids(calls, *expected)


def test_export_file_is_named_after_the_local_day(client_for, user):
    response, rows = export(client_for(user), tz="Pacific/Kiritimati")  # UTC+14: already 03-11
    assert response["Content-Disposition"] == 'attachment; filename="calls-2026-03-11.csv"'
    assert rows == [HEADER]


def test_export_of_a_stranger_has_only_their_calls(client_for, other_user, calls):
    _, rows = export(client_for(other_user), timeRange="all")
    assert [row[0] for row in rows[1:]] == [calls["stranger"].vapi_call_id]


def test_export_answers_csv_whatever_the_client_accepts(client_for, user, calls):
    response = client_for(user).get("/api/analytics/calls/export", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).startswith(b"vapiCallId,")
    # errors stay JSON
    response = client_for(user).get("/api/analytics/calls/export", {"timeRange": "1y"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert response.json()["success"] is False
