"""Writes of analytics: calls reported by VAPI (webhook and sync), visitor sessions reported by the widget.

Calls are upserted by VAPI's call id, in one ``INSERT … ON CONFLICT DO UPDATE``. What a message says is merged into
what we have: a status never moves backwards (a ``ringing`` delivered after ``ended`` changes nothing), and a field a
message does not mention keeps its value. Deliveries of the same call that arrive together are applied one after
the other on the conflicting row's lock, never duplicated.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import math
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from analytics.models import MAX_CALL_COST, MAX_CALL_SECONDS, Call, CallStatus, Session
from bots.models import Bot, BotStatus
from common.errors import ConflictError, NotFoundError
from common.ids import cuid
from common.inputs import pg_text

logger = logging.getLogger(__name__)

# VAPI's call statuses, in the order a call goes through them; "not-found" and "deletion-failed" say nothing.
VAPI_STATUSES = {
    "scheduled": CallStatus.QUEUED,
    "queued": CallStatus.QUEUED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.IN_PROGRESS,
    "forwarding": CallStatus.FORWARDING,
    "ended": CallStatus.ENDED,
}
RECORDED_TYPES = frozenset({"status-update", "end-of-call-report"})


# --- What VAPI tells us about a call ---------------------------------------------------------------------------


@dataclass
class CallFacts:
    """What one message (or one call object from ``GET /call``) says about a call; ``None``: it does not say."""

    vapi_call_id: str
    assistant_id: str | None = None
    bot_uuid: str | None = None  # our metadata on the assistant, a second way to find the bot
    status: str | None = None
    ended_reason: str | None = None
    type: str | None = None
    phone_number: str | None = None
    cost: float | None = None
    created_at: datetime.datetime | None = None
    started_at: datetime.datetime | None = None
    ended_at: datetime.datetime | None = None
    duration: int | None = None
    transcript: str | None = None
    recording: str | None = None
    summary: str | None = None
    message_count: int | None = None
    messages: list[dict[str, Any]] | None = None
    analysis: dict[str, Any] | None = None


# What VAPI says is believed within these bounds; a value outside them (a cost of 1e300, a negative duration, a
# call in the year 9999) is a bug or a forgery, read as "not said" so that the rest of the report is kept. The
# table's CHECK constraints hold the same bounds, so no stored row can break a report.
EARLIEST_CALL = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
LATEST_CALL_AHEAD = datetime.timedelta(days=1)  # clocks differ; a call from tomorrow does not exist yet


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int | None = None) -> str | None:
    if not isinstance(value, str):
        return None
    value = pg_text(value)  # the webhook's parser removed NULs already; a synced call object did not pass it
    if not value.strip():
        return None
    return value[:limit] if limit else value


def _number(value: Any, *, maximum: float) -> float | None:
    """A finite number in ``[0, maximum]``, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= maximum:
        return float(value)  # NaN fails both comparisons
    return None


def _time(value: Any) -> datetime.datetime | None:
    moment = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)  # epoch milliseconds
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        try:
            moment = parse_datetime(value)
        except ValueError:
            return None
        if moment is not None and timezone.is_naive(moment):
            moment = moment.replace(tzinfo=datetime.UTC)
    if moment is None or not EARLIEST_CALL <= moment <= timezone.now() + LATEST_CALL_AHEAD:
        return None
    return moment


def _cost(value: Any) -> float | None:
    return _number(value, maximum=MAX_CALL_COST)


def _seconds(value: Any) -> int | None:
    number = _number(value, maximum=MAX_CALL_SECONDS)
    return None if number is None else round(number)


def _url(value: Any) -> str | None:
    text = _text(value, 2048)
    return text if text and text.startswith(("https://", "http://")) else None


def _recording(artifact: dict[str, Any], container: dict[str, Any]) -> str | None:
    """The call's recording, as the call page's player and the original frontend's ``recordingUrl`` want it: one
    audio file of the whole call. The current spec's ``artifact.recording`` first (VapiAI/docs
    ``fern/apis/api/openapi.json``, schema ``Recording``: ``mono.combinedUrl``, the caller and the bot mixed in one
    channel, then ``stereoUrl``); then the fields that spec marks deprecated, ``artifact.recordingUrl`` and
    ``artifact.stereoRecordingUrl``; then the older payloads' top-level ``recordingUrl`` / ``stereoRecordingUrl`` of
    ``container`` (the message, or the call object)."""
    recording = _dict(artifact.get("recording"))
    return (
        _url(_dict(recording.get("mono")).get("combinedUrl"))
        or _url(recording.get("stereoUrl"))
        or _url(artifact.get("recordingUrl"))
        or _url(artifact.get("stereoRecordingUrl"))
        or _url(container.get("recordingUrl"))
        or _url(container.get("stereoRecordingUrl"))
    )


def _count_messages(messages: Any) -> int | None:
    if not isinstance(messages, list):
        return None
    # The system prompt is not part of the conversation.
    return sum(1 for item in messages if isinstance(item, dict) and item.get("role") != "system")


# What is kept of a call's conversation: a long call's report may list thousands of messages, and a model's
# output can be long; the count (``message_count``) stays exact when the list is cut.
MAX_STORED_MESSAGES = 1000
MAX_MESSAGE_CHARS = 10_000
MAX_ANALYSIS_BYTES = 64 * 1024
MAX_ANALYSIS_DEPTH = 16
_MESSAGE_TEXT_KEYS = ("message", "content")
# VAPI's roles for what was said ("bot"; "assistant" in the OpenAI-formatted list some payloads carry instead).
CONVERSATION_ROLES = frozenset({"user", "bot", "assistant"})
_MESSAGE_NUMBER_KEYS = ("time", "endTime", "secondsFromStart", "duration")


def _plain_number(value: Any) -> bool:
    """A JSON number any reader can take: a finite float, or an integer within 64 bits (a 400-digit integer is
    valid JSON, and would overflow math.isfinite and every client's integers)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, float) and math.isfinite(value)


def _conversation(messages: Any) -> list[dict[str, Any]] | None:
    """VAPI's ``artifact.messages`` as we keep them: what the caller and the bot said, as ``{role, message, time,
    endTime, secondsFromStart, duration}`` (the keys the original frontend and our call page read). Redacted by
    leaving out: the system prompt, tool calls' arguments and their results (configuration and knowledge-base text,
    not conversation; a tool's arguments may carry anything a model wrote) and every other key. Spoken text is
    treated as the transcript is (NULs removed), cut at ``MAX_MESSAGE_CHARS``, at most ``MAX_STORED_MESSAGES``."""
    if not isinstance(messages, list):
        return None
    kept: list[dict[str, Any]] = []
    for item in messages:
        if len(kept) >= MAX_STORED_MESSAGES:
            break
        if not isinstance(item, dict) or item.get("role") not in CONVERSATION_ROLES:
            continue
        text = next((t for key in _MESSAGE_TEXT_KEYS if (t := _text(item.get(key))) is not None), None)
        if text is None:
            continue
        entry: dict[str, Any] = {"role": item["role"], "message": text[:MAX_MESSAGE_CHARS]}
        for key in _MESSAGE_NUMBER_KEYS:
            value = item.get(key)
            if _plain_number(value):
                entry[key] = value
        kept.append(entry)
    return kept


def _storable(value: Any, depth: int = 0) -> Any:
    """``value`` with NULs removed from its strings (PostgreSQL's jsonb refuses them; a synced call object did not
    pass the webhook's parser); ValueError when nested deeper than ``MAX_ANALYSIS_DEPTH``."""
    if depth > MAX_ANALYSIS_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(value, str):
        return pg_text(value)
    if isinstance(value, dict):
        return {pg_text(str(key)): _storable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item, depth + 1) for item in value]
    return value


def _analysis(value: Any) -> dict[str, Any] | None:
    """VAPI's ``analysis`` object as sent, when it says something and is of a reasonable size (64 KB as JSON, 16
    levels, finite numbers)."""
    if not isinstance(value, dict) or not value:
        return None
    try:
        value = _storable(value)
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError):
        return None
    return value if size <= MAX_ANALYSIS_BYTES else None


def facts_from_call(call: dict[str, Any]) -> CallFacts | None:
    """A VAPI call object (``message.call``, or an item of ``GET /call``)."""
    call_id = _text(call.get("id"), 100)
    if call_id is None:
        return None
    artifact, analysis = _dict(call.get("artifact")), _dict(call.get("analysis"))
    customer = _dict(call.get("customer"))
    metadata = _dict(_dict(call.get("assistant")).get("metadata")) or _dict(call.get("metadata"))
    facts = CallFacts(
        vapi_call_id=call_id,
        assistant_id=_text(call.get("assistantId"), 100),
        bot_uuid=_text(metadata.get("botUuid"), 36),
        status=VAPI_STATUSES.get(call.get("status")),
        ended_reason=_text(call.get("endedReason"), 255),
        type=_text(call.get("type"), 64),
        phone_number=_text(customer.get("number"), 64) or _text(call.get("phoneNumber"), 64),
        cost=_cost(call.get("cost")),
        created_at=_time(call.get("createdAt")),
        started_at=_time(call.get("startedAt")),
        ended_at=_time(call.get("endedAt")),
        transcript=_text(artifact.get("transcript")) or _text(call.get("transcript")),
        recording=_recording(artifact, call),
        summary=_text(analysis.get("summary")) or _text(call.get("summary")),
        message_count=_count_messages(artifact.get("messages") or call.get("messages")),
        messages=_conversation(artifact.get("messages") or call.get("messages")),
        analysis=_analysis(analysis),
    )
    return facts


REPORT_ID_PREFIX = "report-"


def report_call_id(*, bot_uuid: str, started_at: datetime.datetime | None, ended_at: datetime.datetime | None) -> str:
    """The id a call is recorded under when its end-of-call report comes without ``call`` (optional in the spec:
    openapi.json, ``ServerMessageEndOfCallReport``, whose required fields are ``type``, ``endedReason``,
    ``artifact`` and ``analysis``), so VAPI's id is unknown. The same for every delivery of that report, and computed
    again from the call object when ``calls_sync`` later brings the call, which then gives the row VAPI's id."""

    def moment(value: datetime.datetime | None) -> str:
        return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds") if value else ""

    key = f"{bot_uuid}|{moment(started_at)}|{moment(ended_at)}"
    return REPORT_ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


def facts_from_message(message: dict[str, Any], *, bot_uuid: str | None = None) -> CallFacts | None:
    """A ``status-update`` or ``end-of-call-report`` server message: ``artifact.*``/``analysis.*`` first, the
    older top-level keys after. ``bot_uuid``: the bot the request was authenticated as, if any."""
    kind = message.get("type")
    if kind not in RECORDED_TYPES:
        return None
    metadata = _dict(_dict(message.get("assistant")).get("metadata"))
    known_bot = bot_uuid or _text(metadata.get("botUuid"), 36)
    facts = facts_from_call(_dict(message.get("call")))
    if facts is None and kind == "end-of-call-report" and known_bot:
        # A report without its call is still the call's only report (VAPI does not send it again): recorded under
        # an id of our own, for the bot that sent it.
        started, ended = _time(message.get("startedAt")), _time(message.get("endedAt"))
        if started or ended:
            facts = CallFacts(
                vapi_call_id=report_call_id(bot_uuid=known_bot, started_at=started, ended_at=ended),
                created_at=started or ended,
            )
    if facts is None:
        return None
    facts.bot_uuid = facts.bot_uuid or known_bot
    if kind == "status-update":
        facts.status = VAPI_STATUSES.get(message.get("status"), facts.status)
        facts.ended_reason = _text(message.get("endedReason"), 255) or facts.ended_reason
        return facts
    # end-of-call-report: the final word on the call.
    artifact, analysis = _dict(message.get("artifact")), _dict(message.get("analysis"))
    facts.status = CallStatus.ENDED
    facts.ended_reason = _text(message.get("endedReason"), 255) or facts.ended_reason
    facts.cost = _cost(message.get("cost")) if _cost(message.get("cost")) is not None else facts.cost
    facts.started_at = _time(message.get("startedAt")) or facts.started_at
    facts.ended_at = _time(message.get("endedAt")) or facts.ended_at
    facts.transcript = _text(artifact.get("transcript")) or _text(message.get("transcript")) or facts.transcript
    facts.recording = _recording(artifact, message) or facts.recording
    facts.summary = _text(analysis.get("summary")) or _text(message.get("summary")) or facts.summary
    count = _count_messages(artifact.get("messages") or message.get("messages"))
    facts.message_count = count if count is not None else facts.message_count
    conversation = _conversation(artifact.get("messages") or message.get("messages"))
    facts.messages = conversation if conversation is not None else facts.messages
    facts.analysis = _analysis(analysis) or facts.analysis
    legacy_seconds = _seconds(message.get("durationSeconds"))
    if legacy_seconds is not None:
        facts.duration = legacy_seconds
    return facts


# --- Recording calls ---------------------------------------------------------------------------------------------


# One statement, portable to SQLite: insert the call, or merge what the message says into the row that exists.
# Raw SQL: the ORM's bulk_create(update_conflicts=…) cannot keep stored values that a message does not say, nor
# move the status forward only, nor find the bot in the same statement; one round trip per event is what
# bench/webhook.py's throughput (target 400 reports/s, none lost or doubled) is measured on.
# A parameter that is NULL means "the message does not say" and keeps the stored value; the status only moves
# forward (by rank); the row lock of the conflicting row serialises concurrent deliveries of the same call.
_RANK = (
    "CASE {0} WHEN 'QUEUED' THEN 1 WHEN 'RINGING' THEN 2 WHEN 'IN_PROGRESS' THEN 3 "
    "WHEN 'FORWARDING' THEN 4 WHEN 'ENDED' THEN 5 ELSE 0 END"
)
# Only constants are formatted into the statement; every value is a parameter.
_UPSERT = f"""
INSERT INTO calls ("id", "vapiCallId", "assistantId", "userId", "botId", "status", "endedReason", "phoneNumber",
                   "type", "cost", "duration", "transcript", "recording", "summary", "messageCount", "messages",
                   "analysis", "createdAt", "startedAt", "endedAt", "updatedAt")
SELECT %(id)s, %(vapi_call_id)s, COALESCE(%(assistant_id)s, bots."vapiAssistantId", ''), bots."userId", bots."id",
       %(status)s,
       %(ended_reason)s, %(phone_number)s, %(type)s, COALESCE(%(cost)s, 0), %(duration)s, %(transcript)s,
       %(recording)s, %(summary)s, COALESCE(%(message_count)s, 0), %(messages)s, %(analysis)s, %(created_at)s,
       %(started_at)s, %(ended_at)s, %(now)s
FROM bots
WHERE {{where}}
ORDER BY CASE WHEN bots."vapiAssistantId" = %(assistant_id)s THEN 0 ELSE 1 END
LIMIT 1
ON CONFLICT ("vapiCallId") DO UPDATE SET
    "status" = CASE WHEN {_RANK.format("excluded.status")} >= {_RANK.format("calls.status")}
                    THEN excluded.status ELSE calls.status END,
    "assistantId" = CASE WHEN calls."assistantId" = '' THEN excluded."assistantId" ELSE calls."assistantId" END,
    "endedReason" = COALESCE(%(ended_reason)s, calls."endedReason"),
    "phoneNumber" = COALESCE(%(phone_number)s, calls."phoneNumber"),
    "type" = COALESCE(%(type)s, calls."type"),
    "cost" = COALESCE(%(cost)s, calls."cost"),
    "duration" = COALESCE(%(duration)s, calls."duration"),
    "transcript" = COALESCE(%(transcript)s, calls."transcript"),
    "recording" = COALESCE(%(recording)s, calls."recording"),
    "summary" = COALESCE(%(summary)s, calls."summary"),
    "messageCount" = COALESCE(%(message_count)s, calls."messageCount"),
    "messages" = COALESCE(excluded."messages", calls."messages"),
    "analysis" = COALESCE(excluded."analysis", calls."analysis"),
    "createdAt" = CASE WHEN %(said_created_at)s AND excluded."createdAt" < calls."createdAt"
                       THEN excluded."createdAt" ELSE calls."createdAt" END,
    "startedAt" = COALESCE(%(started_at)s, calls."startedAt"),
    "endedAt" = COALESCE(%(ended_at)s, calls."endedAt"),
    "updatedAt" = excluded."updatedAt"
{{conflict}}
RETURNING "id", "botId", "userId"
"""  # noqa: S608
# Authenticated by the shared secret (GET /call, or a request with the pre-per-bot secret): the bot whose assistant
# is on the call; else the one our metadata on the assistant names.
_UPSERT_ANY_BOT = _UPSERT.format(
    where='bots."vapiAssistantId" = %(assistant_id)s OR bots."uuid" = %(bot_uuid)s', conflict=""
)
# Authenticated by one bot's secret: that bot, and only for a call of its own assistant (or of no assistant named);
# and a call recorded for another bot stays as it is (the secret could be leaked, the call id known).
_UPSERT_ONE_BOT = _UPSERT.format(
    where='bots."uuid" = %(caller)s '
    "AND COALESCE(bots.\"vapiAssistantId\", '') = COALESCE(%(assistant_id)s, bots.\"vapiAssistantId\", '')",
    conflict='WHERE calls."botId" = excluded."botId"',
)


_JSON_FIELD = Call._meta.get_field("messages")


def _json_param(value: Any) -> Any:
    return None if value is None else _JSON_FIELD.get_db_prep_value(value, connection)


def call_record(*, facts: CallFacts, caller: str | None = None) -> Call | None:
    """Upsert the call ``facts`` describes, finding its bot in the same statement (one round trip: the webhook
    is hit for every call event). None when no bot of ours has that assistant, or (``caller``: the uuid of the bot
    whose own secret authenticated the request) when the call is not that bot's: nothing is written."""
    now = timezone.now()
    duration = facts.duration
    if duration is None and facts.started_at and facts.ended_at:
        duration = _seconds(max(0.0, (facts.ended_at - facts.started_at).total_seconds()))
    params = {
        "id": cuid(),
        "vapi_call_id": facts.vapi_call_id,
        "assistant_id": facts.assistant_id,
        "bot_uuid": facts.bot_uuid,
        "status": facts.status or CallStatus.QUEUED,
        "ended_reason": facts.ended_reason,
        "phone_number": facts.phone_number,
        "type": facts.type,
        "cost": facts.cost,
        "duration": duration,
        "transcript": facts.transcript,
        "recording": facts.recording,
        "summary": facts.summary,
        "message_count": facts.message_count,
        # As the column's own type (jsonb on PostgreSQL, text on SQLite) writes them; None stays SQL NULL.
        "messages": _json_param(facts.messages),
        "analysis": _json_param(facts.analysis),
        "created_at": facts.created_at or now,
        "said_created_at": facts.created_at is not None,
        "started_at": facts.started_at,
        "ended_at": facts.ended_at,
        "now": now,
        "caller": caller,
    }
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_ANY_BOT if caller is None else _UPSERT_ONE_BOT, params)
        row = cursor.fetchone()
    if row is None:
        logger.info("VAPI call %s: assistant %s is none of ours; not recorded", facts.vapi_call_id, facts.assistant_id)
        return None
    call_id, bot_id, user_id = row
    return Call(pk=call_id, vapi_call_id=facts.vapi_call_id, bot_id=bot_id, user_id=user_id)


def call_record_message(*, message: dict[str, Any], caller: str | None = None) -> tuple[str, Call | None]:
    """A server message from the webhook: ("recorded" | "ignored" | "unknown assistant", call). ``caller``: the
    uuid of the bot whose own secret authenticated the request (only that bot's calls are recorded), or None."""
    facts = facts_from_message(message, bot_uuid=caller)
    if facts is None:
        return "ignored", None
    call = call_record(facts=facts, caller=caller)
    return ("recorded" if call else "unknown assistant"), call


@dataclass
class SyncStats:
    pages: int = 0
    seen: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0


# The oldest call a sync without ``since`` looks for (VAPI started in 2023; a call before 2000 is not believed at all).
SYNC_EPOCH = EARLIEST_CALL
# A window this short that still fills a page is asked again with VAPI's largest page (GET /call, limit <= 1000).
SHORTEST_WINDOW = datetime.timedelta(milliseconds=1)
LARGEST_PAGE = 1000


def calls_sync(
    *, since: datetime.datetime | None = None, max_pages: int = 100, page_size: int = 100, progress=None
) -> SyncStats:
    """Record every call of our assistants that VAPI's ``GET /call`` lists from ``since`` on: what a missed
    webhook would have told us.

    Paged by time windows, not by the order of VAPI's answer: ``GET /call`` has no cursor and no documented sort
    order (openapi.json, ``GET /call``: ``limit``, ``createdAtGe``/``createdAtLt``, …; spec/vapi.md section 1). A
    window ``[from, to)`` that comes back with fewer calls than the page holds is complete, whatever their order;
    one that fills the page is split in two at its calls' median time, each part asked again (the calls of the full
    page are recorded meanwhile; ``_split``). So no call is skipped at a page boundary, several calls in the same
    millisecond included, up to ``LARGEST_PAGE`` of them. Newest windows first, so that ``max_pages`` (requests)
    keeps the most recent calls."""
    from bots.vapi import VapiClient  # bots sits below analytics; the client is only needed here

    stats = SyncStats()
    seen: set[str] = set()
    # Calls recorded from end-of-call reports without their call, to be given VAPI's id when the call comes.
    unnamed = set(Call.objects.filter(vapi_call_id__startswith=REPORT_ID_PREFIX).values_list("vapi_call_id", flat=True))
    bot_uuids = {}
    if unnamed:
        bot_uuids = dict(Bot.objects.exclude(vapi_assistant_id=None).values_list("vapi_assistant_id", "uuid"))
    # Up to a minute ahead: VAPI's clock may be ahead of ours.
    windows = [(_whole_ms(since or SYNC_EPOCH), _whole_ms(timezone.now() + datetime.timedelta(minutes=1)))]
    with VapiClient.from_settings() as vapi:
        while windows and stats.pages < max_pages:
            start, end = windows.pop()
            shortest = end - start <= SHORTEST_WINDOW
            limit = LARGEST_PAGE if shortest else page_size
            calls = vapi.list_calls(created_from=start, created_before=end, limit=limit)
            stats.pages += 1
            times = []
            for item in calls:
                facts = facts_from_call(item)
                if facts is not None and facts.created_at and start <= facts.created_at < end:
                    times.append(facts.created_at)
                if facts is None or facts.vapi_call_id in seen:
                    continue
                seen.add(facts.vapi_call_id)
                stats.seen += 1
                if unnamed:
                    _name_reported_call(facts, bot_uuids.get(facts.assistant_id), unnamed)
                existed = Call.objects.filter(vapi_call_id=facts.vapi_call_id).exists()
                if call_record(facts=facts) is None:
                    stats.skipped += 1
                elif existed:
                    stats.updated += 1
                else:
                    stats.created += 1
            if progress:
                progress(stats)
            if len(calls) >= limit:
                if shortest:
                    logger.warning("VAPI lists %d or more calls created in one millisecond; some may be missed", limit)
                    continue
                windows += _split(start, end, times)  # the newest part is asked first
    return stats


def _split(
    start: datetime.datetime, end: datetime.datetime, times: list[datetime.datetime]
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The parts of a window whose page came back full, oldest first, in whole milliseconds (as VAPI reads the
    bounds). Split at the median creation time of the calls the page listed, so that the parts divide the calls,
    not the years (a sync over 26 years of calls made in one afternoon asks a few windows, not 40); a page of calls
    all made in one millisecond gives that millisecond a window of its own (asked with the largest page); without
    times to go by, the middle of the window."""
    times = sorted(_whole_ms(moment) for moment in times)
    if times and times[0] == times[-1] and end - start > SHORTEST_WINDOW:
        tie, after = times[0], times[0] + SHORTEST_WINDOW
        return [(a, b) for a, b in ((start, tie), (tie, after), (after, end)) if a < b]
    middle = times[len(times) // 2] if times else start
    if not start < middle < end:
        middle = _whole_ms(start + (end - start) / 2)
    return [(start, middle), (middle, end)]


def _whole_ms(moment: datetime.datetime) -> datetime.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _name_reported_call(facts: CallFacts, bot_uuid: str | None, unnamed: set[str]) -> None:
    """Give a call recorded from a report without its call (``report_call_id``) VAPI's id, now that GET /call
    lists the call; when the call was recorded under VAPI's id too (a status update), the stand-in goes."""
    if bot_uuid is None:
        return
    stand_in = report_call_id(bot_uuid=bot_uuid, started_at=facts.started_at, ended_at=facts.ended_at)
    if stand_in not in unnamed:
        return
    unnamed.discard(stand_in)
    if Call.objects.filter(vapi_call_id=facts.vapi_call_id).exists():
        Call.objects.filter(vapi_call_id=stand_in).delete()
    else:
        Call.objects.filter(vapi_call_id=stand_in).update(vapi_call_id=facts.vapi_call_id)


# --- Widget sessions ----------------------------------------------------------------------------------------------


def new_session_id() -> str:
    """The original's format, session_<milliseconds>_<random>; the random part makes it unguessable, which is
    what lets the widget report on the session with nothing but its id."""
    return f"session_{int(timezone.now().timestamp() * 1000)}_{secrets.token_hex(8)}"


def session_start(*, bot_uuid: str, user_agent: str | None, ip_address: str | None, country: str | None) -> Session:
    bot = Bot.objects.only("id", "user_id", "status").filter(uuid=bot_uuid).first()
    if bot is None:
        raise NotFoundError("Bot not found")
    if bot.status != BotStatus.ACTIVE:
        raise ConflictError("Bot is not active")
    return Session.objects.create(
        session_id=new_session_id(),
        user_id=bot.user_id,
        bot_id=bot.pk,
        user_agent=pg_text(user_agent or "")[:1024] or None,  # a header or the widget's claim: text from outside
        ip_address=ip_address,
        country=country,
    )


def session_interaction(*, session_id: str) -> int:
    """One more caller utterance in an open session; the new count."""
    updated = Session.objects.filter(session_id=session_id, end_time__isnull=True).update(
        interactions=F("interactions") + 1
    )
    interactions = Session.objects.filter(session_id=session_id).values_list("interactions", flat=True).first()
    if interactions is None:
        raise NotFoundError("Session not found")
    if not updated:
        raise ConflictError("Session has ended")
    return interactions


def session_end(*, session_id: str) -> None:
    """Close the session (idempotent: a second end, e.g. a beacon after the call's own end, changes nothing)."""
    closed = Session.objects.filter(session_id=session_id, end_time__isnull=True).update(end_time=Now())
    if not closed and not Session.objects.filter(session_id=session_id).exists():
        raise NotFoundError("Session not found")
