"""Repairing missed webhooks from VAPI's GET /call, paged by createdAtLt, against a local HTTP server."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.models import Call, CallStatus
from analytics.services import calls_sync
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


def serve_pages(vapi, calls: list[dict], page_size: int) -> None:
    """VAPI's paging: newest first, `limit` at a time, older than createdAtLt."""
    ordered = sorted(calls, key=lambda call: call["createdAt"], reverse=True)

    def handler(request):
        import json

        from werkzeug import Response

        before = request.args.get("createdAtLt")
        page = [call for call in ordered if before is None or call["createdAt"] < before][: int(request.args["limit"])]
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

    assert (stats.pages, stats.seen, stats.created, stats.skipped) == (3, 26, 25, 1)
    assert Call.objects.count() == 25
    call = Call.objects.get(vapi_call_id="call_007")
    assert (call.bot, call.status, call.duration, call.summary) == (bot, CallStatus.ENDED, 7, "Summary 7")
    assert (call.messages, call.analysis) == ([{"role": "user", "message": "hi"}], {"summary": "Summary 7"})
    limits = {request.args.get("limit") for request, _ in vapi.log}
    assert limits == {"10"}
    assert [request.args.get("createdAtLt") is None for request, _ in vapi.log] == [True, False, False]


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
    serve_pages(vapi, calls, page_size=5)

    stats = calls_sync(since=now - datetime.timedelta(days=7, hours=12), page_size=5)

    assert stats.pages == 2  # pages 1-5 and 6-10: the 10th day is before `since`, so no third page
    assert Call.objects.count() == 10


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
