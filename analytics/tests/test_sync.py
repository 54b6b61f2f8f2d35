"""Repairing missed webhooks from VAPI's GET /call, paged by time windows, against a local HTTP server."""

from __future__ import annotations

import datetime
import json
import random

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from werkzeug import Response

from analytics.models import Call, CallStatus
from analytics.services import call_record_message, calls_sync
from analytics.tasks import sync_calls
from analytics.tests.factories import CallFactory
from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vapi(settings, httpserver):
    settings.VAPI_PRIVATE_KEY = "sk_sync"
    settings.VAPI_BASE_URL = httpserver.url_for("").rstrip("/")
    return httpserver


def vapi_call(n: int, *, assistant="asst_sync", at: datetime.datetime) -> dict:
    return {
        "id": f"call_{n:03d}",
        "assistantId": assistant,
        "type": "webCall",
        "status": "ended",
        "endedReason": "customer-ended-call",
        "cost": 0.01 * n,
        "createdAt": at.isoformat().replace("+00:00", "Z"),
        "startedAt": at.isoformat().replace("+00:00", "Z"),
        "endedAt": (at + datetime.timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
        "artifact": {"transcript": f"AI: call {n}", "messages": [{"role": "user", "message": "hi"}]},
        "analysis": {"summary": f"Summary {n}"},
    }


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def serve_pages(vapi, calls: list[dict], page_size: int = 0, order: str = "newest") -> None:
    """VAPI's GET /call: at most `limit` calls created in [createdAtGe, createdAtLt), newest first (what VAPI does in
    practice), oldest first or shuffled (the spec documents no order)."""
    ordered = sorted(calls, key=lambda call: _moment(call["createdAt"]), reverse=order == "newest")
    if order == "shuffled":
        random.Random(7).shuffle(ordered)

    def handler(request):
        start, before = request.args.get("createdAtGe"), request.args.get("createdAtLt")
        page = [
            call
            for call in ordered
            if (start is None or _moment(call["createdAt"]) >= _moment(start))
            and (before is None or _moment(call["createdAt"]) < _moment(before))
        ][: int(request.args["limit"])]
        return Response(json.dumps(page), content_type="application/json")

    vapi.expect_request("/call", method="GET", headers={"Authorization": "Bearer sk_sync"}).respond_with_handler(
        handler
    )


def test_several_pages_of_calls_are_recorded_once(vapi):
    bot = BotFactory(active=True, vapi_assistant_id="asst_sync")
    start = timezone.now() - datetime.timedelta(days=3)
    calls = [vapi_call(n, at=start + datetime.timedelta(minutes=n)) for n in range(1, 26)]
    calls += [vapi_call(99, assistant="asst_not_ours", at=start)]
    serve_pages(vapi, calls, page_size=10)

    stats = calls_sync(page_size=10)

    assert (stats.seen, stats.created, stats.skipped) == (26, 25, 1)
    assert Call.objects.count() == 25
    call = Call.objects.get(vapi_call_id="call_007")
    assert (call.bot, call.status, call.duration, call.summary) == (bot, CallStatus.ENDED, 7, "Summary 7")
    assert (call.messages, call.analysis) == ([{"role": "user", "message": "hi"}], {"summary": "Summary 7"})
    limits = {request.args.get("limit") for request, _ in vapi.log}
    assert limits == {"10"}
    # Every request names its window: VAPI's own order never decides what is asked next.
    assert all(request.args.get("createdAtGe") and request.args.get("createdAtLt") for request, _ in vapi.log)
    assert stats.pages == len(vapi.log) < 40


@pytest.mark.parametrize("order", ["newest", "oldest", "shuffled"])
def test_no_call_is_skipped_whatever_vapis_order(vapi, order):
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    start = timezone.now() - datetime.timedelta(days=2)
    calls = [vapi_call(n, at=start + datetime.timedelta(seconds=37 * n)) for n in range(1, 48)]
    serve_pages(vapi, calls, order=order)

    stats = calls_sync(page_size=10)

    assert (stats.seen, stats.created) == (47, 47)
    assert Call.objects.count() == 47


def test_calls_in_the_same_millisecond_at_a_page_boundary_are_not_skipped(vapi):
    # The old paging asked createdAtLt=<oldest seen> next: the calls sharing that millisecond beyond the page were
    # never asked for again.
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    moment = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=123000)
    calls = [vapi_call(n, at=moment) for n in range(1, 16)]
    calls += [vapi_call(n, at=moment + datetime.timedelta(seconds=n)) for n in range(16, 26)]
    serve_pages(vapi, calls)

    stats = calls_sync(page_size=10)

    assert stats.created == 25
    assert Call.objects.count() == 25
    assert "1000" in {request.args.get("limit") for request, _ in vapi.log}  # the full millisecond, asked at once


def test_a_second_sync_updates_instead_of_duplicating(vapi):
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    CallFactory(
        vapi_call_id="call_001",
        status=CallStatus.IN_PROGRESS,
        summary=None,
        bot=BotFactory(active=True, vapi_assistant_id="asst_other"),
    )
    serve_pages(vapi, [vapi_call(1, at=timezone.now() - datetime.timedelta(hours=1))], page_size=10)

    stats = calls_sync(page_size=10)

    assert (stats.created, stats.updated) == (0, 1)
    call = Call.objects.get()
    assert (call.status, call.summary) == (CallStatus.ENDED, "Summary 1")


def test_sync_stops_at_since(vapi):
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    now = timezone.now()
    calls = [vapi_call(n, at=now - datetime.timedelta(days=n)) for n in range(1, 31)]
    serve_pages(vapi, calls)
    since = now - datetime.timedelta(days=7, hours=12)

    calls_sync(since=since, page_size=5)

    assert Call.objects.count() == 7  # days 1 to 7; nothing older was asked for
    earliest = since - datetime.timedelta(milliseconds=1)
    assert all(_moment(request.args["createdAtGe"]) >= earliest for request, _ in vapi.log)


def test_synced_calls_recordings_in_the_current_shape(vapi):
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    current = vapi_call(1, at=timezone.now() - datetime.timedelta(hours=1))
    current["artifact"]["recording"] = {"stereoUrl": "https://r/s.wav", "mono": {"combinedUrl": "https://r/m.wav"}}
    deprecated = vapi_call(2, at=timezone.now() - datetime.timedelta(hours=2))
    deprecated["artifact"]["stereoRecordingUrl"] = "https://r/old-stereo.wav"
    top_level = vapi_call(3, at=timezone.now() - datetime.timedelta(hours=3))
    top_level["recordingUrl"] = "https://r/top.wav"
    serve_pages(vapi, [current, deprecated, top_level])

    calls_sync()

    assert dict(Call.objects.values_list("vapi_call_id", "recording")) == {
        "call_001": "https://r/m.wav",
        "call_002": "https://r/old-stereo.wav",
        "call_003": "https://r/top.wav",
    }


def test_a_call_recorded_from_a_report_without_call_gets_vapis_id(vapi):
    bot = BotFactory(active=True, vapi_assistant_id="asst_sync")
    at = timezone.now() - datetime.timedelta(hours=1)
    synced = vapi_call(5, at=at)
    message = {
        "type": "end-of-call-report",
        "endedReason": "customer-ended-call",
        "startedAt": synced["startedAt"],
        "endedAt": synced["endedAt"],
        "artifact": {"transcript": "AI: from the report"},
        "analysis": {},
    }
    assert call_record_message(message=message, caller=bot.uuid)[0] == "recorded"
    serve_pages(vapi, [synced])

    calls_sync()

    call = Call.objects.get()
    assert (call.vapi_call_id, call.bot, call.summary) == ("call_005", bot, "Summary 5")


def test_the_command_prints_progress_and_a_summary(vapi, capsys):
    BotFactory(active=True, vapi_assistant_id="asst_sync")
    serve_pages(vapi, [vapi_call(n, at=timezone.now() - datetime.timedelta(hours=n)) for n in range(1, 4)], 100)

    call_command("sync_calls", "--days", "30")

    out, err = capsys.readouterr()
    assert "page 1: 3 calls (3 new" in err
    assert "Synced 3 calls in 1 pages: 3 new, 0 updated, 0 of other assistants." in out


def test_the_command_without_vapi(settings):
    settings.VAPI_PRIVATE_KEY = ""

    with pytest.raises(CommandError, match="VAPI_PRIVATE_KEY is not set"):
        call_command("sync_calls")


def test_the_beat_task_survives_vapi_being_down(settings):
    settings.VAPI_PRIVATE_KEY = "sk"
    settings.VAPI_BASE_URL = "http://127.0.0.1:9"

    assert "error" in sync_calls.apply().get()
