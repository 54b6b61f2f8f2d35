"""The VAPI server-message webhook with VAPI-shaped payloads (spec/vapi.md, section 3)."""

from __future__ import annotations

import datetime
import json
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from analytics.models import Call, CallStatus
from bots.tests.factories import BotFactory
from bots.vapi import bot_secret

KEY = "webhook-secret-0123456789"  # VAPI_WEBHOOK_SECRET: the key every bot's own secret is derived from
BOT_UUID = "0b6f2a52-6d1e-4a43-9a38-0cc3e4a3b001"
OTHER_UUID = "0b6f2a52-6d1e-4a43-9a38-0cc3e4a3b002"
SECRET = bot_secret(BOT_UUID, KEY)  # what the bot's assistant sends
URL = "/api/vapi/webhook"
STARTED = "2026-11-20T10:00:00.000Z"
ENDED = "2026-11-20T10:02:35.400Z"


@pytest.fixture
def bot(db, settings):
    settings.VAPI_WEBHOOK_SECRET = KEY
    return BotFactory(active=True, vapi_assistant_id="asst_hook", uuid=BOT_UUID)


def call_object(**extra) -> dict:
    return {
        "id": "call_123",
        "orgId": "org_1",
        "assistantId": "asst_hook",
        "type": "webCall",
        "status": "queued",
        "createdAt": "2026-11-20T09:59:58.000Z",
        **extra,
    }


def status_update(status: str, **extra) -> dict:
    return {
        "message": {
            "type": "status-update",
            "status": status,
            "timestamp": 1763632800000,
            "call": call_object(status=status),
            **extra,
        }
    }


def end_of_call_report(**extra) -> dict:
    return {
        "message": {
            "type": "end-of-call-report",
            "timestamp": 1763632960000,
            "endedReason": "customer-ended-call",
            "cost": 0.1834,
            "startedAt": STARTED,
            "endedAt": ENDED,
            "call": call_object(status="ended"),
            "artifact": {
                "transcript": "AI: Hello!\nUser: When do you open?\nAI: At nine.",
                "recordingUrl": "https://storage.vapi.ai/rec/call_123.wav",
                "messages": [
                    {"role": "system", "message": "You are helpful."},
                    {"role": "bot", "message": "Hello!"},
                    {"role": "user", "message": "When do you open?"},
                    {"role": "bot", "message": "At nine."},
                ],
            },
            "analysis": {"summary": "The caller asked for the opening time."},
            **extra,
        }
    }


def deliver(client, body, secret=SECRET):
    headers = {"x-vapi-secret": secret} if secret is not None else {}
    return client.post(
        URL, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json", headers=headers
    )


def test_end_of_call_report_records_everything(client, bot):
    response = deliver(client, end_of_call_report())

    assert response.status_code == 200
    assert response.json() == {"success": True, "type": "end-of-call-report", "outcome": "recorded"}
    call = Call.objects.get()
    assert (call.vapi_call_id, call.assistant_id, call.bot, call.user) == ("call_123", "asst_hook", bot, bot.user)
    assert call.status == CallStatus.ENDED
    assert call.ended_reason == "customer-ended-call"
    assert call.cost == pytest.approx(0.1834)
    assert call.started_at == datetime.datetime(2026, 11, 20, 10, 0, tzinfo=datetime.UTC)
    assert call.duration == 155  # ended - started, 155.4 s rounded
    assert call.transcript.startswith("AI: Hello!")
    assert call.recording == "https://storage.vapi.ai/rec/call_123.wav"
    assert call.summary == "The caller asked for the opening time."
    assert call.message_count == 3  # the system prompt is not a message of the conversation
    assert call.type == "webCall"
    assert call.created_at == datetime.datetime(2026, 11, 20, 9, 59, 58, tzinfo=datetime.UTC)


def test_the_report_keeps_the_conversation_and_vapis_analysis(client, bot):
    body = end_of_call_report()
    body["message"]["artifact"]["messages"] = [
        {"role": "system", "message": "SYSTEM PROMPT", "time": 1},
        {"role": "bot", "message": "Hello!", "time": 1763632800500, "secondsFromStart": 0.5, "source": "x"},
        {"role": "tool_calls", "toolCalls": [{"function": {"name": "book", "arguments": '{"card": "4111"}'}}]},
        {"role": "tool_call_result", "name": "book", "result": "TOOL RESULT"},
        {"role": "user", "message": "When do you open?", "time": 1763632803000, "endTime": 1763632804200},
        {"role": "user", "message": "   "},
        "not a message",
    ]
    body["message"]["analysis"] = {
        "summary": "Asked when we open.",
        "structuredData": {"topic": "hours", "nested": {"a": [1, 2]}},
        "successEvaluation": "true",
    }

    deliver(client, body)

    call = Call.objects.get()
    # What was said, with its timing: no system prompt, no tool arguments or results, no other keys.
    assert call.messages == [
        {"role": "bot", "message": "Hello!", "time": 1763632800500, "secondsFromStart": 0.5},
        {"role": "user", "message": "When do you open?", "time": 1763632803000, "endTime": 1763632804200},
    ]
    assert call.message_count == 5  # the count stays VAPI's: every message object but the system prompt
    assert call.analysis == body["message"]["analysis"]
    assert call.summary == "Asked when we open."


def test_a_later_status_update_keeps_the_conversation(client, bot):
    deliver(client, end_of_call_report())
    deliver(client, status_update("ended"))

    call = Call.objects.get()
    assert [m["message"] for m in call.messages] == ["Hello!", "When do you open?", "At nine."]
    assert call.analysis == {"summary": "The caller asked for the opening time."}


def test_a_long_conversation_is_kept_bounded(client, bot, settings):
    from analytics.services import MAX_MESSAGE_CHARS, MAX_STORED_MESSAGES

    settings.VAPI_WEBHOOK_MAX_MB = 20
    body = end_of_call_report()
    body["message"]["artifact"]["messages"] = [
        {"role": "user" if n % 2 else "bot", "message": f"utterance {n} " + "x" * (MAX_MESSAGE_CHARS if n == 1 else 0)}
        for n in range(MAX_STORED_MESSAGES + 500)
    ]
    body["message"]["analysis"] = {"summary": "long", "structuredData": {"blob": "y" * 100_000}}

    assert deliver(client, body).status_code == 200

    call = Call.objects.get()
    assert len(call.messages) == MAX_STORED_MESSAGES
    assert call.message_count == MAX_STORED_MESSAGES + 500
    assert len(call.messages[1]["message"]) == MAX_MESSAGE_CHARS
    assert call.analysis is None  # larger than 64 KB: not kept; the summary still is
    assert call.summary == "long"


def test_absurd_timings_in_a_synced_conversation_are_dropped():
    # GET /call's objects do not pass the webhook's parser (which reads such numbers as not said): a 400-digit
    # integer overflowed math.isfinite.
    from analytics.services import facts_from_call

    messages = [
        {"role": "bot", "message": "Hello!", "time": 10**400},
        {"role": "user", "message": "Hi", "secondsFromStart": 2.5, "endTime": True, "duration": float("inf")},
    ]
    facts = facts_from_call({"id": "c1", "artifact": {"messages": messages}})

    assert facts.messages == [
        {"role": "bot", "message": "Hello!"},
        {"role": "user", "message": "Hi", "secondsFromStart": 2.5},
    ]


@pytest.mark.parametrize("analysis", ["a string", [1], {}, {"summary": "s", "deep": json.loads("[" * 40 + "]" * 40)}])
def test_an_unstorable_analysis_is_dropped_not_a_500(client, bot, analysis):
    body = end_of_call_report()
    body["message"]["analysis"] = analysis

    response = deliver(client, body)

    assert response.status_code == 200
    assert Call.objects.get().analysis is None


def test_a_synced_call_objects_analysis_is_made_storable():
    # GET /call's objects do not pass the webhook's parser: NULs and non-finite numbers are ours to handle.
    from analytics.services import facts_from_call

    facts = facts_from_call({"id": "c1", "analysis": {"summary": "a\x00b", "structuredData": {"k\x00": ["v\x00"]}}})
    assert facts.analysis == {"summary": "ab", "structuredData": {"k": ["v"]}}
    assert facts_from_call({"id": "c1", "analysis": {"summary": "s", "score": float("inf")}}).analysis is None
    assert facts_from_call({"id": "c1", "analysis": {"summary": "s", "score": float("nan")}}).analysis is None


def test_older_payloads_with_top_level_keys(client, bot):
    body = end_of_call_report(
        transcript="AI: Hi", recordingUrl="https://old.example/rec.mp3", summary="Old style", durationSeconds=42.4
    )
    del body["message"]["artifact"], body["message"]["analysis"], body["message"]["startedAt"]

    deliver(client, body)

    call = Call.objects.get()
    assert (call.transcript, call.recording, call.summary, call.duration) == (
        "AI: Hi",
        "https://old.example/rec.mp3",
        "Old style",
        42,
    )


def test_status_updates_then_the_report(client, bot):
    for status in ("queued", "ringing", "in-progress"):
        deliver(client, status_update(status))
        assert Call.objects.get().status == VAPI[status]
    deliver(client, end_of_call_report())

    assert Call.objects.get().status == CallStatus.ENDED


VAPI = {"queued": CallStatus.QUEUED, "ringing": CallStatus.RINGING, "in-progress": CallStatus.IN_PROGRESS}


def test_a_status_never_moves_backwards(client, bot):
    deliver(client, end_of_call_report())

    deliver(client, status_update("ringing"))  # late, out of order

    call = Call.objects.get()
    assert call.status == CallStatus.ENDED
    assert call.transcript  # nothing of the report lost


def test_a_phone_call_keeps_the_customer_number(client, bot):
    body = end_of_call_report()
    body["message"]["call"] = call_object(type="inboundPhoneCall", customer={"number": "+15550100"})

    deliver(client, body)

    assert (Call.objects.get().type, Call.objects.get().phone_number) == ("inboundPhoneCall", "+15550100")


def test_duplicates_are_one_row(client, bot):
    for _ in range(3):
        deliver(client, end_of_call_report())

    assert Call.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_three_concurrent_deliveries_make_one_row(settings):
    settings.VAPI_WEBHOOK_SECRET = KEY
    BotFactory(active=True, vapi_assistant_id="asst_hook", uuid=BOT_UUID)
    barrier = threading.Barrier(3)
    statuses = []

    def deliver_once():
        barrier.wait()
        try:
            statuses.append(deliver(Client(), end_of_call_report()).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200, 200, 200]
    assert Call.objects.count() == 1
    assert Call.objects.get().status == CallStatus.ENDED


def test_unknown_assistant_is_acknowledged_and_nothing_is_written(client, bot):
    body = end_of_call_report()
    body["message"]["call"]["assistantId"] = "asst_someone_else"

    response = deliver(client, body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown assistant"
    assert not Call.objects.exists()


def test_the_bot_is_found_by_metadata_when_the_assistant_id_is_missing(client, bot):
    body = end_of_call_report(assistant={"metadata": {"botUuid": bot.uuid}})
    del body["message"]["call"]["assistantId"]

    deliver(client, body)

    assert Call.objects.get().bot == bot


@pytest.mark.parametrize("kind", ["conversation-update", "speech-update", "hang", "transcript", "made-up"])
def test_other_message_types_are_acknowledged_and_ignored(client, bot, kind):
    response = deliver(client, {"message": {"type": kind, "call": call_object()}})

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "",
        "wrong",
        KEY,  # the key itself is no bot's secret
        bot_secret(BOT_UUID, "another-key-0123456789"),
        SECRET[:-1] + ("0" if SECRET[-1] != "0" else "1"),
        f"{OTHER_UUID}.{SECRET.partition('.')[2]}",  # this bot's signature under another bot's name
    ],
)
def test_a_wrong_secret_is_401_and_nothing_is_written(client, bot, secret):
    response = deliver(client, end_of_call_report(), secret=secret)

    assert response.status_code == 401
    assert response.json() == {"success": False, "error": "Unauthorized"}
    assert not Call.objects.exists()


def test_malformed_json_is_400(client, bot):
    response = deliver(client, '{"message": ')

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "Malformed JSON"}


def test_a_body_without_a_message_is_400(client, bot):
    assert deliver(client, {"type": "status-update"}).status_code == 400


# --- Per-bot secrets (bots/vapi.py): one leaked secret answers for one bot ----------------------------------------


def test_another_bots_secret_records_nothing_of_this_bots_calls(client, bot):
    other = BotFactory(active=True, vapi_assistant_id="asst_other", uuid=OTHER_UUID)

    response = deliver(client, end_of_call_report(), secret=bot_secret(other.uuid, KEY))

    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown assistant"
    assert not Call.objects.exists()


def test_another_bots_secret_cannot_overwrite_this_bots_call(client, bot):
    deliver(client, end_of_call_report())
    other = BotFactory(active=True, vapi_assistant_id="asst_other", uuid=OTHER_UUID)
    forged = end_of_call_report()
    forged["message"]["call"]["assistantId"] = "asst_other"  # the call id of this bot's call, under the other's
    forged["message"]["artifact"]["transcript"] = "forged"

    response = deliver(client, forged, secret=bot_secret(other.uuid, KEY))

    assert response.json()["outcome"] == "unknown assistant"
    call = Call.objects.get()
    assert (call.bot, call.transcript.startswith("AI: Hello!")) == (bot, True)


def test_a_bots_secret_with_its_metadata_but_no_assistant_id(client, bot):
    body = end_of_call_report(assistant={"metadata": {"botUuid": bot.uuid}})
    del body["message"]["call"]["assistantId"]

    deliver(client, body)

    call = Call.objects.get()
    assert (call.bot, call.assistant_id) == (bot, "asst_hook")


def test_during_a_rotation_the_previous_keys_secrets_are_accepted(client, bot, settings):
    settings.VAPI_WEBHOOK_SECRET = "the-new-key-0123456789"
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [KEY]

    assert deliver(client, end_of_call_report(), secret=SECRET).status_code == 200  # an assistant not synced yet
    assert deliver(client, status_update("ended"), secret=bot_secret(BOT_UUID)).status_code == 200  # one synced
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = []
    assert deliver(client, status_update("ended"), secret=SECRET).status_code == 401  # the rotation is over


def test_the_shared_secret_of_older_assistants_only_while_it_is_a_previous_secret(client, bot, settings):
    # Assistants made before per-bot secrets send the one shared secret: accepted, for any bot, only while it is
    # listed in VAPI_WEBHOOK_PREVIOUS_SECRETS (the upgrade, until `manage.py sync_assistants` has run).
    assert deliver(client, end_of_call_report(), secret=KEY).status_code == 401
    settings.VAPI_WEBHOOK_PREVIOUS_SECRETS = [KEY]

    assert deliver(client, end_of_call_report(), secret=KEY).json()["outcome"] == "recorded"
    assert Call.objects.get().bot == bot


# --- Recordings: the current spec's artifact.recording first, the deprecated fields after -----------------------

MONO = "https://storage.vapi.ai/rec/call_123-mono.wav"
STEREO = "https://storage.vapi.ai/rec/call_123-stereo.wav"
DEPRECATED = "https://storage.vapi.ai/rec/call_123.wav"


@pytest.mark.parametrize(
    ("artifact", "recorded"),
    [
        # The current shape (openapi.json, Artifact.recording: Recording {stereoUrl, videoUrl, mono: Mono
        # {combinedUrl, assistantUrl, customerUrl}}), alone: the mono mix of both sides.
        (
            {"recording": {"stereoUrl": STEREO, "mono": {"combinedUrl": MONO, "customerUrl": "https://x/c.wav"}}},
            MONO,
        ),
        ({"recording": {"stereoUrl": STEREO, "mono": {"assistantUrl": "https://x/a.wav"}}}, STEREO),
        # Both shapes (VAPI sends both while the old fields are deprecated): the current one wins.
        ({"recording": {"mono": {"combinedUrl": MONO}}, "recordingUrl": DEPRECATED}, MONO),
        # The deprecated fields alone.
        ({"recordingUrl": DEPRECATED, "stereoRecordingUrl": STEREO}, DEPRECATED),
        ({"stereoRecordingUrl": STEREO}, STEREO),
        # Nonsense in the current shape: the deprecated field still counts.
        ({"recording": {"mono": "not an object", "stereoUrl": "ftp://x"}, "recordingUrl": DEPRECATED}, DEPRECATED),
        ({"recording": None}, None),
    ],
)
def test_the_recording_of_a_report(client, bot, artifact, recorded):
    body = end_of_call_report()
    body["message"]["artifact"] = {"transcript": "AI: Hi", **artifact}

    assert deliver(client, body).status_code == 200

    assert Call.objects.get().recording == recorded


def test_the_recording_is_what_the_call_page_and_the_legacy_logs_show(client, bot, client_for):
    body = end_of_call_report()
    body["message"]["artifact"] = {"transcript": "AI: Hi", "recording": {"mono": {"combinedUrl": MONO}}}
    deliver(client, body)

    logs = client_for(bot.user).get("/api/analytics/logs", {"timeRange": "all"}).json()

    assert [log["recordingUrl"] for log in logs["logs"]] == [MONO]


def test_the_recording_of_the_call_object_when_the_message_has_none(client, bot):
    body = end_of_call_report()
    body["message"]["artifact"] = {"transcript": "AI: Hi"}
    body["message"]["call"]["artifact"] = {"recording": {"stereoUrl": STEREO}}

    deliver(client, body)

    assert Call.objects.get().recording == STEREO


# --- A report without its call (``call`` is optional in the spec) --------------------------------------------------


def report_without_call(**extra) -> dict:
    body = end_of_call_report(assistant={"name": "Support", "metadata": {"botUuid": BOT_UUID}}, **extra)
    del body["message"]["call"]
    return body


def test_a_report_without_its_call_is_recorded(client, bot):
    body = report_without_call()
    body["message"]["artifact"]["recording"] = {"mono": {"combinedUrl": MONO}}

    response = deliver(client, body)

    assert response.json() == {"success": True, "type": "end-of-call-report", "outcome": "recorded"}
    call = Call.objects.get()
    assert call.vapi_call_id.startswith("report-")
    assert (call.bot, call.assistant_id, call.status, call.duration) == (bot, "asst_hook", CallStatus.ENDED, 155)
    assert (call.transcript[:10], call.recording, call.cost) == ("AI: Hello!", MONO, pytest.approx(0.1834))
    assert call.summary == "The caller asked for the opening time."


def test_a_report_without_its_call_delivered_twice_is_one_row(client, bot):
    deliver(client, report_without_call())
    deliver(client, report_without_call())

    assert Call.objects.count() == 1


def test_a_report_without_call_nor_bot_metadata_is_the_authenticated_bots(client, bot):
    body = end_of_call_report()
    del body["message"]["call"]

    assert deliver(client, body).json()["outcome"] == "recorded"
    assert Call.objects.get().bot == bot


def test_a_report_without_call_nor_times_is_acknowledged_not_recorded(client, bot):
    body = report_without_call()
    del body["message"]["startedAt"], body["message"]["endedAt"]

    response = deliver(client, body)

    assert (response.status_code, response.json()["outcome"]) == (200, "ignored")


def test_not_configured_is_503(client, bot, settings):
    settings.VAPI_WEBHOOK_SECRET = ""

    assert deliver(client, end_of_call_report()).status_code == 503
    assert not Call.objects.exists()


def test_it_answers_in_one_statement(client, bot, django_assert_num_queries):
    # Finding the bot, inserting or merging the call: one INSERT ... SELECT ... ON CONFLICT DO UPDATE.
    with django_assert_num_queries(1):
        deliver(client, end_of_call_report())
    with django_assert_num_queries(1):
        deliver(client, status_update("ringing"))


# --- Hostile or absurd deliveries: handled, never a 500, the rest of the report kept -----------------------------


@pytest.mark.parametrize(
    "cost", ["1e300", "1e400", "-1e400", "-5", "NaN", "Infinity", "10000.01", "123456789012345678901"]
)
def test_an_absurd_cost_is_not_believed_and_the_rest_of_the_report_is_kept(client, bot, client_for, cost):
    body = json.dumps(end_of_call_report()).replace('"cost": 0.1834', f'"cost": {cost}')

    response = deliver(client, body)

    assert response.status_code == 200
    call = Call.objects.get()
    assert call.cost == 0  # "not said"
    assert call.transcript.startswith("AI: Hello!")
    assert call.duration == 155
    owner = client_for(bot.user)
    for report in ("logs", "calls", "overview", "bots"):
        assert owner.get(f"/api/analytics/{report}").status_code == 200, report
    assert owner.get("/api/analytics/logs", {"callId": "call_123"}).status_code == 200


def test_a_cost_at_the_bound_is_kept(client, bot):
    deliver(client, json.dumps(end_of_call_report()).replace('"cost": 0.1834', '"cost": 10000'))

    assert Call.objects.get().cost == 10000


@pytest.mark.parametrize("seconds", [1e300, -1, 7 * 24 * 3600 + 1, "1e400"])
def test_an_absurd_duration_is_not_believed(client, bot, seconds):
    body = end_of_call_report(durationSeconds="DURATION")
    del body["message"]["startedAt"], body["message"]["endedAt"]

    deliver(client, json.dumps(body).replace('"DURATION"', str(seconds)))

    assert Call.objects.get().duration is None


@pytest.mark.parametrize(
    ("started", "ended"),
    [
        ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"),  # an int4 overflow once subtracted
        (1e300, 1e301),  # epoch milliseconds beyond any datetime
        ("1970-01-01T00:00:00Z", ENDED),  # before VAPI (and this product) existed
        (STARTED, "2999-01-01T00:00:00Z"),  # a call that has not ended yet
    ],
)
def test_absurd_times_are_not_believed(client, bot, client_for, started, ended):
    body = end_of_call_report(startedAt=started, endedAt=ended)
    body["message"]["call"]["createdAt"] = ended

    assert deliver(client, body).status_code == 200

    call = Call.objects.get()
    assert call.duration is None or call.duration <= 7 * 24 * 3600
    assert call.created_at <= timezone.now() + datetime.timedelta(days=1)
    owner = client_for(bot.user)
    for report in ("logs", "calls", "overview"):
        assert (
            owner.get(f"/api/analytics/{report}", {"timeRange": "all", "tz": "Pacific/Kiritimati"}).status_code == 200
        )


def test_nul_characters_are_removed_from_the_report(client, bot):
    body = end_of_call_report(endedReason="customer\x00-ended-call")
    body["message"]["artifact"]["transcript"] = "AI: Hello\x00!"
    body["message"]["analysis"]["summary"] = "\x00"

    assert deliver(client, body).status_code == 200

    call = Call.objects.get()
    assert (call.transcript, call.ended_reason, call.summary) == ("AI: Hello!", "customer-ended-call", None)


def test_a_body_nested_too_deeply_is_400(client, bot):
    response = deliver(client, '{"message": ' + "[" * 100_000 + "]" * 100_000 + "}")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "JSON nested deeper than 64 levels"}


def test_a_body_larger_than_the_limit_is_413(client, bot, settings):
    settings.VAPI_WEBHOOK_MAX_MB = 1
    body = end_of_call_report()
    body["message"]["artifact"]["transcript"] = "x" * (1024 * 1024)

    response = deliver(client, body)

    assert response.status_code == 413
    assert response.json() == {"success": False, "error": "Request body too large"}
    assert not Call.objects.exists()


def test_the_default_bound_is_20_mb(client, bot, settings):
    assert settings.VAPI_WEBHOOK_MAX_MB == 20
    body = end_of_call_report()
    body["message"]["artifact"]["transcript"] = "x" * (20 * 1024 * 1024)

    response = deliver(client, body)

    assert (response.status_code, response.json()["error"]) == (413, "Request body too large")


def test_other_routes_keep_djangos_cap(client, bot, client_for, settings):
    # The large bound is the VAPI routes' only: the API's own JSON stays within DATA_UPLOAD_MAX_MEMORY_SIZE.
    owner = client_for(bot.user)
    big = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})

    response = owner.patch(f"/api/bots/{bot.uuid}", big, content_type="application/json")

    assert (response.status_code, response.json()) == (413, {"success": False, "error": "Request body too large"})


def test_a_long_report_beyond_djangos_own_limit_is_recorded(client, bot, settings):
    # An hour-long call's report can pass Django's 2.5 MB default for bodies; VAPI_WEBHOOK_MAX_MB governs here.
    body = end_of_call_report()
    body["message"]["artifact"]["transcript"] = "AI: " + "word " * 700_000

    assert deliver(client, body).status_code == 200
    assert len(Call.objects.get().transcript) > 3_000_000
