"""Owner-scoped reads behind the analytics reports (``analytics/api/reports.py``).

Every public function takes ``user=`` and every query it runs filters by that owner (``calls."userId"``,
``sessions."userId"``, ``bots."userId"``): another user's rows are never read, so they can never show. Every
figure is computed by PostgreSQL (``COUNT``/``SUM``/``AVG``/``MIN``/``MAX`` with ``FILTER (WHERE …)``, ``GROUP BY``
a day or an hour in the caller's time zone, tests of user agents); Python only shapes the handful of rows
that come back. Each function costs one query, whatever the number of rows.

Definitions (the original computed them from VAPI's API in memory; ours come from our tables):

- **Time range** ``7d|30d|90d|all``: rows whose time (a call's ``createdAt``, a session's ``startTime``, a bot's
  ``createdAt``) is at or after ``now - N days``; no upper bound (as the original). ``all``: no bound. The
  **previous range** is the one of equal length just before (``[start - N days, start)``); ``all`` has none.
  Calendar ranges (``from``/``to`` of the call logs) are whole days in the caller's time zone, both inclusive.
- **Successful call**: ``ENDED`` and its ended reason is not an error (null counts as fine). **Failed call**:
  ``ENDED`` with an error reason: one containing ``error``, ``failed`` or ``fault`` (VAPI's reasons are
  lower-case identifiers, compared as such), or one of ``ERROR_ENDED_REASONS`` (VAPI's reasons that say the call
  could not be served without saying "error"). Calls still queued, ringing, in progress or forwarding are neither.
- **Call duration**: the ``duration`` column (seconds, as the webhook stored it); calls without one (not ended)
  are left out of averages, minimums, maximums and sums.
- **Session duration**: ``endTime - startTime``, ended sessions only. **Active session**: no ``endTime`` and
  started less than ``settings.SESSION_ACTIVE_MINUTES`` ago. **Completed**: every other session: it has an
  ``endTime``, or it stayed open longer than that (the visitor left without the widget saying so), which the
  legacy contract's two states (``active|completed``) count as completed too.
- **Device** and **browser** come from the user agent, case-insensitively, the first rule that matches winning
  (see ``DEVICES`` and ``BROWSERS``); no user agent is ``Unknown``. **Country** is ``Unknown`` when not known.
- **Files stored**: the owner's documents that are uploaded files (``filePath`` set; crawled pages are not
  files), their total size, and how many bots have at least one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Collate, ExtractHour, NullIf, TruncDate
from django.utils import timezone

from accounts.models import User
from analytics.models import Call, CallStatus, Session
from bots.models import Bot, BotStatus
from common.errors import NotFoundError

CALL_NOT_FOUND = "Call not found"

TIME_RANGE_DAYS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}

# VAPI ended reasons that mean the call failed although they contain none of "error", "failed", "fault".
ERROR_ENDED_REASONS = (
    "assistant-not-found",
    "assistant-not-valid",
    "assistant-not-provided",
    "assistant-request-returned-no-assistant",
    "assistant-request-returned-invalid-assistant",
    "assistant-request-returned-unspeakable-error",
    "pipeline-no-available-llm-model",
    "pipeline-no-available-model",
    "no-server-available",
    "server-shutdown",
    "worker-shutdown",
    "phone-call-provider-closed-websocket",
)
# VAPI's ended reasons are lower-case identifiers: plain LIKE, several times cheaper per row than ILIKE or ~*.
_ERROR_REASON = (
    Q(ended_reason__contains="error")
    | Q(ended_reason__contains="failed")
    | Q(ended_reason__contains="fault")
    | Q(ended_reason__in=ERROR_ENDED_REASONS)
)
FAILED_CALL = Q(status=CallStatus.ENDED) & _ERROR_REASON
SUCCESSFUL_CALL = Q(status=CallStatus.ENDED) & ~_ERROR_REASON


class Rows(Aggregate):
    """``COUNT(*)``, with an optional ``FILTER (WHERE …)``, which Django's ``Count("*")`` refuses.

    Unlike ``COUNT(id)`` it needs no column, so a covering index answers alone (index-only scan); unlike
    ``COUNT(1)`` PostgreSQL does not test an argument for NULL on every row (a fifth of the overview's time over a
    million calls, bench/analytics.py)."""

    function = "COUNT"
    template = "%(function)s(*)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, *, filter: Q | None = None) -> None:
        super().__init__(filter=filter)


def _now() -> datetime.datetime:
    """The current time; the one place tests move the clock."""
    return timezone.now()


def status_to_api(status: str) -> str:
    """``IN_PROGRESS`` -> ``in-progress``: the casing VAPI and the legacy API use."""
    return status.lower().replace("_", "-")


def status_from_api(status: str) -> str:
    return status.upper().replace("-", "_")


def current_time() -> datetime.datetime:
    """The time the reports are computed at (``_now``, which tests move)."""
    return _now()


# --- Figures derived from counts ------------------------------------------------------------------------------
# The API writes them as the legacy strings (fixed decimals), the pages as cells; both get them from here.


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent (a success rate); None when ``whole`` is 0: there is nothing to rate."""
    return part * 100 / whole if whole else None


def growth(current: int, previous: int) -> float:
    """The change from the previous range in percent; from none: +100 when there are some now, else 0."""
    if previous:
        return (current - previous) * 100 / previous
    return 100.0 if current else 0.0


def _ranked(counts: dict[str, int], key: str) -> list[dict[str, Any]]:
    """``[{key: name, "count": n}]``, most frequent first, then by name (code points)."""
    return [{key: name, "count": count} for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


# --- Time windows -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The rows a report covers: ``start <= time < end`` (``None``: unbounded), bucketed in ``tz``."""

    now: datetime.datetime
    tz: ZoneInfo
    start: datetime.datetime | None
    end: datetime.datetime | None = None
    days: int | None = None  # the length of a relative range (7d…), None for "all" and calendar ranges

    @property
    def previous_start(self) -> datetime.datetime | None:
        """Start of the previous range of equal length (which ends at ``start``); None when there is none."""
        return self.start - datetime.timedelta(days=self.days) if self.days is not None else None

    def q(self, field: str) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field}__lt": self.end})
        return q


def local_midnight(day: datetime.date, tz: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def window_for_range(*, time_range: str, tz: ZoneInfo) -> Window:
    """The relative range ``7d|30d|90d|all`` ending now."""
    now = _now()
    days = TIME_RANGE_DAYS[time_range]
    start = now - datetime.timedelta(days=days) if days is not None else None
    return Window(now=now, tz=tz, start=start, days=days)


def window_for_month(*, tz: ZoneInfo) -> Window:
    """This calendar month so far in ``tz``: from the 1st at local midnight, no upper bound."""
    now = _now()
    return Window(now=now, tz=tz, start=local_midnight(now.astimezone(tz).date().replace(day=1), tz))


def window_for_dates(*, first: datetime.date | None, last: datetime.date | None, tz: ZoneInfo) -> Window:
    """Whole days ``first``..``last`` (both inclusive, either open) in the time zone ``tz``."""
    return Window(
        now=_now(),
        tz=tz,
        start=local_midnight(first, tz) if first else None,
        end=local_midnight(last + datetime.timedelta(days=1), tz) if last else None,
    )


def _by_day(queryset: QuerySet, field: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    """``[{"date": date, "count": n}]`` per local day of ``field``, oldest first, days with rows only."""
    return list(
        queryset.annotate(date=TruncDate(field, tzinfo=tz)).values("date").annotate(count=Count("pk")).order_by("date")
    )


def _counted(queryset: QuerySet, label: str, expression) -> list[dict[str, Any]]:
    """``[{label: value, "count": n}]`` per value of ``expression``, most frequent first."""
    return list(
        queryset.annotate(**{label: expression})
        .values(label)
        .annotate(count=Count("pk"))
        .order_by("-count", _CodePoints(label))  # ties in code point order, whatever the database's collation
    )


class _CodePoints(Collate):
    """Compared by code point: ``COLLATE "C"`` on PostgreSQL, ``COLLATE BINARY`` (UTF-8 bytes, the same order) on
    SQLite, which has no "C"."""

    def __init__(self, expression: str) -> None:
        super().__init__(expression, "C")

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, collation="BINARY", **extra_context)


# --- Bots -----------------------------------------------------------------------------------------------------


def _bots(user: User) -> QuerySet[Bot]:
    return Bot.objects.filter(user=user)


def bot_overview_figures(*, user: User, window: Window) -> dict[str, int]:
    """Bots created in the range (and their status, RAG), in the previous range, online now, in all; and the
    files stored for the owner's bots. One query: the bots LEFT JOIN their documents, bot figures counted
    ``DISTINCT`` so that the documents do not multiply them."""
    in_range = window.q("created_at")
    is_file = Q(documents__file_path__isnull=False)
    previous = {}
    if window.previous_start is not None:
        in_previous = Q(created_at__gte=window.previous_start, created_at__lt=window.start)
        previous["previous"] = Count("pk", distinct=True, filter=in_previous)
    figures = _bots(user).aggregate(
        total=Count("pk", distinct=True, filter=in_range),
        **previous,
        active=Count("pk", distinct=True, filter=in_range & Q(status=BotStatus.ACTIVE)),
        inactive=Count("pk", distinct=True, filter=in_range & ~Q(status=BotStatus.ACTIVE)),
        with_rag=Count("pk", distinct=True, filter=in_range & Q(rag_enabled=True)),
        without_rag=Count("pk", distinct=True, filter=in_range & Q(rag_enabled=False)),
        online=Count("pk", distinct=True, filter=Q(status=BotStatus.ACTIVE)),
        all_bots=Count("pk", distinct=True),
        files=Count("documents", filter=is_file),
        files_bytes=Coalesce(Sum("documents__size", filter=is_file), 0),
        bots_with_files=Count("pk", distinct=True, filter=is_file),
    )
    return {"previous": 0, **figures}


def bot_range_figures(*, user: User, window: Window) -> dict[str, int]:
    """Bots created in the range: how many, ACTIVE or not, with RAG or not; and how many the owner has in all."""
    in_range = window.q("created_at")
    return _bots(user).aggregate(
        total=Count("pk", filter=in_range),
        active=Count("pk", filter=in_range & Q(status=BotStatus.ACTIVE)),
        inactive=Count("pk", filter=in_range & ~Q(status=BotStatus.ACTIVE)),
        with_rag=Count("pk", filter=in_range & Q(rag_enabled=True)),
        without_rag=Count("pk", filter=in_range & Q(rag_enabled=False)),
        all_bots=Count("pk"),
    )


def bot_creation_by_day(*, user: User, window: Window) -> list[dict[str, Any]]:
    return _by_day(_bots(user).filter(window.q("created_at")), "created_at", window.tz)


def bot_voice_and_language_counts(*, user: User, window: Window) -> dict[str, list[dict[str, Any]]]:
    """``{"voice": [{"voice", "count"}], "language": [{"language", "count"}]}`` of the bots created in the range,
    most frequent first: both distributions from one GROUP BY (voice, language), summed here per key."""
    rows = (
        _bots(user)
        .filter(window.q("created_at"))
        .values("voice", "language")
        .annotate(count=Count("pk"))
        .order_by("voice", "language")
    )
    totals: dict[str, dict[str, int]] = {"voice": {}, "language": {}}
    for row in rows:
        for key, counts in totals.items():
            counts[row[key]] = counts.get(row[key], 0) + row["count"]
    return {key: _ranked(counts, key) for key, counts in totals.items()}


def bot_top_by_calls(*, user: User, window: Window, limit: int = 10) -> list[dict[str, Any]]:
    """The owner's bots (whenever created) ranked by their calls in the range, then newest first. The range is
    part of the join (``FilteredRelation``), so calls outside it are not even joined."""
    return list(
        _bots(user)
        .annotate(range_calls=FilteredRelation("calls", condition=Q(calls__user=user) & window.q("calls__created_at")))
        .annotate(call_count=Count("range_calls"))
        .values("uuid", "name", "documents_processed", "call_count", "created_at", "status")
        .order_by("-call_count", "-created_at", "-pk")[:limit]
    )


def bot_recent(*, user: User, window: Window, limit: int = 5) -> list[dict[str, Any]]:
    """The bots created last in the range."""
    return list(
        _bots(user)
        .filter(window.q("created_at"))
        .values("uuid", "name", "status", "created_at", "rag_enabled", "documents_processed")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- Calls ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFilters:
    window: Window
    assistant_id: str | None = None
    bot_uuid: str | None = None
    status: str | None = None  # stored casing: ENDED, IN_PROGRESS…


def call_queryset(*, user: User, filters: CallFilters) -> QuerySet[Call]:
    """The owner's calls that the filters select."""
    calls = Call.objects.filter(user=user).filter(filters.window.q("created_at"))
    if filters.assistant_id:
        calls = calls.filter(assistant_id=filters.assistant_id)
    if filters.bot_uuid:
        calls = calls.filter(bot__uuid=filters.bot_uuid)
    if filters.status:
        calls = calls.filter(status=filters.status)
    return calls


def _sums(per_outcome: QuerySet, **sums: Any) -> dict[str, Any]:
    """Aggregate ``per_outcome`` (rows grouped by status and ended reason) once more, 0 for an empty selection."""
    return {name: 0 if value is None else value for name, value in per_outcome.aggregate(**sums).items()}


def call_overview_figures(*, user: User, window: Window) -> dict[str, int]:
    """Calls in the range (all, successful) and in the last 1, 7 and 30 local days (today included).

    One index-only pass over the owner's recent calls (``calls(userId, createdAt DESC) INCLUDE (status,
    endedReason)``) that groups them by status and ended reason (a few dozen groups); the success test, string
    matching, then runs once per group instead of once per call, in the outer ``SELECT … FROM (…) subquery``.
    """
    today = window.now.astimezone(window.tz).date()
    today_start = local_midnight(today, window.tz)
    week_start = local_midnight(today - datetime.timedelta(days=6), window.tz)
    month_start = local_midnight(today - datetime.timedelta(days=29), window.tz)
    calls = Call.objects.filter(user=user)
    if window.start is not None:
        calls = calls.filter(created_at__gte=min(window.start, month_start))
    per_outcome = calls.values("status", "ended_reason").annotate(
        n=Rows(filter=window.q("created_at")),
        n_today=Rows(filter=Q(created_at__gte=today_start)),
        n_week=Rows(filter=Q(created_at__gte=week_start)),
        n_month=Rows(filter=Q(created_at__gte=month_start)),
    )
    return _sums(
        per_outcome,
        total=Sum("n"),
        successful=Sum("n", filter=SUCCESSFUL_CALL),
        today=Sum("n_today"),
        this_week=Sum("n_week"),
        this_month=Sum("n_month"),
    )


def call_figures(*, user: User, filters: CallFilters) -> dict[str, Any]:
    """Counts (all, successful, failed), duration statistics and total cost (US dollars) of the selected calls;
    grouped by status and ended reason first, like ``call_overview_figures``."""
    per_outcome = (
        call_queryset(user=user, filters=filters)
        .values("status", "ended_reason")
        .annotate(
            n=Rows(),
            timed=Count("duration"),
            seconds=Sum("duration"),
            shortest=Min("duration"),
            longest=Max("duration"),
            spent=Sum("cost"),
        )
    )
    figures = _sums(
        per_outcome,
        total=Sum("n"),
        successful=Sum("n", filter=SUCCESSFUL_CALL),
        failed=Sum("n", filter=FAILED_CALL),
        avg_duration=Cast(Sum("seconds"), FloatField()) / NullIf(Sum("timed"), 0),
        min_duration=Min("shortest"),
        max_duration=Max("longest"),
        total_duration=Sum("seconds"),
        total_cost=Sum("spent"),
    )
    return figures


def call_exists(*, user: User) -> bool:
    """Whether the owner has any call at all (whenever made): tells "no call yet" from "none in this range"."""
    return Call.objects.filter(user=user).exists()


def call_volume_by_day(*, user: User, filters: CallFilters) -> list[dict[str, Any]]:
    return _by_day(call_queryset(user=user, filters=filters), "created_at", filters.window.tz)


def call_figures_by_day(*, user: User, filters: CallFilters) -> list[dict[str, Any]]:
    """``[{"date", "count", "total_cost", "avg_duration"}]`` per local day (``filters.window.tz``) of the selected
    calls, oldest first, days with calls only: the dashboard's three daily charts from one ``GROUP BY``. The
    average duration is over the day's calls that have one (None when none has)."""
    return list(
        call_queryset(user=user, filters=filters)
        .annotate(date=TruncDate("created_at", tzinfo=filters.window.tz))
        .values("date")
        .annotate(count=Rows(), total_cost=Coalesce(Sum("cost"), 0.0), avg_duration=Avg("duration"))
        .order_by("date")
    )


def _call_figures_per(queryset: QuerySet[Call], *group: str) -> list[dict[str, Any]]:
    """Per ``group``: calls, successful, failed, average and total duration, cost; busiest first."""
    return list(
        queryset.values(*group)
        .annotate(
            total=Rows(),
            successful=Rows(filter=SUCCESSFUL_CALL),
            failed=Rows(filter=FAILED_CALL),
            avg_duration=Avg("duration"),
            total_duration=Coalesce(Sum("duration"), 0),
            total_cost=Coalesce(Sum("cost"), 0.0),
        )
        .order_by("-total", *group)
    )


def call_figures_by_bot(*, user: User, filters: CallFilters) -> list[dict[str, Any]]:
    """``_call_figures_per`` bot (name and uuid) with selected calls. Bots without calls are not listed (the caller
    has the owner's bots)."""
    return _call_figures_per(call_queryset(user=user, filters=filters), "bot__name", "bot__uuid")


def call_figures_by_assistant(*, user: User, filters: CallFilters) -> list[dict[str, Any]]:
    """``_call_figures_per`` VAPI assistant id."""
    return _call_figures_per(call_queryset(user=user, filters=filters), "assistant_id")


def daily_series(*, window: Window, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``call_figures_by_day``'s rows for every local day of the range, days without calls at 0 (their average
    duration unknown). A relative range covers the days from its start's to today's (31 for 30 days: the range is
    30 x 24 hours back from now); "all" the days from the first call's."""
    today = window.now.astimezone(window.tz).date()
    if window.start is not None:
        first = window.start.astimezone(window.tz).date()
    else:
        first = rows[0]["date"] if rows else today
    by_date = {row["date"]: row for row in rows}
    days = (first + datetime.timedelta(days=n) for n in range((max(first, today) - first).days + 1))
    return [by_date.get(day) or {"date": day, "count": 0, "total_cost": 0.0, "avg_duration": None} for day in days]


def call_figures_for_bots(*, bots: Iterable[Bot], figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every bot of ``bots`` with its row of ``call_figures_by_bot`` (zeros without calls) and its success rate,
    busiest first, then by name."""
    by_uuid = {row["bot__uuid"]: row for row in figures}
    rows = []
    for bot in bots:
        row = by_uuid.get(bot.uuid, {})
        total, successful = row.get("total", 0), row.get("successful", 0)
        rows.append(
            {
                "uuid": bot.uuid,
                "name": bot.name,
                "status": bot.status,
                "total": total,
                "successful": successful,
                "failed": row.get("failed", 0),
                "success_rate": percent(successful, total),
                "total_cost": row.get("total_cost", 0.0),
                "avg_duration": row.get("avg_duration"),
                "total_duration": row.get("total_duration", 0),
            }
        )
    rows.sort(key=lambda row: (-row["total"], row["name"].casefold()))
    return rows


def call_log_figures(*, user: User, filters: CallFilters) -> dict[str, Any]:
    """The call logs' summary of the selected calls, their count per status included (five known statuses:
    conditional counts in the same pass instead of another GROUP BY)."""
    with_transcript = Q(transcript__isnull=False) & ~Q(transcript="")
    with_recording = Q(recording__isnull=False) & ~Q(recording="")
    per_status = {f"status_{value}": Count("pk", filter=Q(status=value)) for value in CallStatus.values}
    figures = call_queryset(user=user, filters=filters).aggregate(
        total=Count("pk"),
        with_transcript=Count("pk", filter=with_transcript),
        with_recording=Count("pk", filter=with_recording),
        total_messages=Coalesce(Sum("message_count"), 0),
        total_cost=Coalesce(Sum("cost"), 0.0),
        avg_duration=Avg("duration"),
        **per_status,
    )
    counts = {status_to_api(value): figures[f"status_{value}"] for value in CallStatus.values}
    figures["by_status"] = _ranked({status: n for status, n in counts.items() if n}, "status")
    return figures


CALL_ROW_FIELDS = (
    "vapi_call_id",
    "assistant_id",
    "status",
    "ended_reason",
    "created_at",
    "started_at",
    "ended_at",
    "duration",
    "phone_number",
    "type",
    "cost",
)
CALL_LOG_FIELDS = (*CALL_ROW_FIELDS, "transcript", "recording", "message_count", "summary")


def call_page(
    *, user: User, filters: CallFilters, offset: int, limit: int, fields: tuple[str, ...] = CALL_ROW_FIELDS
) -> list[dict[str, Any]]:
    """One page of the selected calls, newest first: ``ORDER BY createdAt DESC, id DESC LIMIT/OFFSET`` on the
    ``calls(userId, createdAt DESC)`` index."""
    return list(
        call_queryset(user=user, filters=filters)
        .order_by("-created_at", "-pk")
        .values(*fields)[offset : offset + limit]
    )


def call_get(*, user: User, vapi_call_id: str) -> Call:
    """One of the owner's calls by its VAPI id, with its bot (same query); another user's call is "Call not
    found", like no call."""
    call = Call.objects.filter(user=user, vapi_call_id=vapi_call_id).select_related("bot").first()
    if call is None:
        raise NotFoundError(CALL_NOT_FOUND)
    return call


CALL_EXPORT_FIELDS = (
    "vapi_call_id",
    "bot__uuid",
    "bot__name",
    "assistant_id",
    "status",
    "type",
    "ended_reason",
    "phone_number",
    "cost",
    "duration",
    "created_at",
    "started_at",
    "ended_at",
    "message_count",
    "summary",
    "transcript",
    "recording",
)


def call_export_rows(*, user: User, filters: CallFilters):
    """Every selected call as a tuple of ``CALL_EXPORT_FIELDS``, newest first, read in chunks from a server-side
    cursor (one query, never the whole table in memory)."""
    return (
        call_queryset(user=user, filters=filters)
        .order_by("-created_at", "-pk")
        .values_list(*CALL_EXPORT_FIELDS)
        .iterator(chunk_size=2000)
    )


# --- Sessions -------------------------------------------------------------------------------------------------


class _EpochSeconds(Func):
    """Seconds of an interval, as a float: ``EXTRACT(EPOCH FROM …)::double precision``."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # There a difference of datetimes is Django's django_timestamp_diff(): microseconds.
        return self.as_sql(compiler, connection, template="(%(expressions)s) / 1000000.0", **extra_context)


# NULL while the session is open, so aggregates over it only see ended sessions.
SESSION_SECONDS = _EpochSeconds(ExpressionWrapper(F("end_time") - F("start_time"), output_field=DurationField()))


def _ua(*needles: str) -> Q:
    q = Q()
    for needle in needles:
        q |= Q(user_agent__icontains=needle)
    return q


def _first_match(rules: list[tuple[str, Q]], default: str) -> dict[str, Q]:
    """Each label's condition when the first rule that matches wins: its rule and none of the earlier ones."""
    conditions, earlier = {}, Q()
    for label, rule in rules:
        conditions[label] = rule & ~earlier if earlier else rule
        earlier |= rule
    conditions[default] = ~earlier
    return conditions


_NO_USER_AGENT = Q(user_agent__isnull=True) | Q(user_agent="")
# Crawlers first (they often claim a browser too); Android without "Mobile" is a tablet.
DEVICES = _first_match(
    [
        ("Unknown", _NO_USER_AGENT),
        ("Bot", _ua("bot", "crawler", "spider", "headless")),
        (
            "Tablet",
            _ua("ipad", "tablet", "kindle", "silk/", "playbook")
            | (Q(user_agent__icontains="android") & ~Q(user_agent__icontains="mobile")),
        ),
        ("Mobile", _ua("mobi", "iphone", "ipod", "android", "windows phone")),
    ],
    default="Desktop",
)
# Edge and Opera say "Chrome" too, Chrome says "Safari" too: they come first.
BROWSERS = _first_match(
    [
        ("Unknown", _NO_USER_AGENT),
        ("Edge", _ua("edg/", "edge/", "edga/", "edgios/")),
        ("Opera", _ua("opr/", "opera")),
        ("Firefox", _ua("firefox/", "fxios/")),
        ("Chrome", _ua("chrome/", "crios/", "chromium/")),
        ("Safari", _ua("safari/")),
    ],
    default="Other",
)


def _active_session(now: datetime.datetime) -> Q:
    return Q(end_time__isnull=True, start_time__gte=now - datetime.timedelta(minutes=settings.SESSION_ACTIVE_MINUTES))


def session_status(*, end_time: datetime.datetime | None, start_time: datetime.datetime, now: datetime.datetime):
    """``active`` (open and recent) or ``completed`` (ended, or open but silent too long)."""
    fresh = start_time >= now - datetime.timedelta(minutes=settings.SESSION_ACTIVE_MINUTES)
    return "active" if end_time is None and fresh else "completed"


@dataclass(frozen=True)
class SessionFilters:
    window: Window
    bot_uuid: str | None = None


def session_queryset(*, user: User, filters: SessionFilters) -> QuerySet[Session]:
    sessions = Session.objects.filter(user=user).filter(filters.window.q("start_time"))
    if filters.bot_uuid:
        sessions = sessions.filter(bot__uuid=filters.bot_uuid)
    return sessions


def session_overview_figures(*, user: User, window: Window) -> dict[str, int]:
    """Sessions in the range (all, active, completed) and in the previous range, in one index-only pass over the
    owner's sessions since the previous range began (``sessions(userId, startTime) INCLUDE (endTime)``)."""
    in_range = window.q("start_time")
    sessions = Session.objects.filter(user=user)
    previous = {}
    if window.previous_start is not None:
        sessions = sessions.filter(start_time__gte=window.previous_start)
        previous["previous"] = Rows(filter=Q(start_time__lt=window.start))
    figures = sessions.aggregate(
        total=Rows(filter=in_range),
        active=Rows(filter=in_range & _active_session(window.now)),
        completed=Rows(filter=in_range & ~_active_session(window.now)),
        **previous,
    )
    return {"previous": 0, **figures}


def session_figures(*, user: User, filters: SessionFilters) -> dict[str, Any]:
    """Counts (all, active, completed), first start, and duration statistics of the selected sessions."""
    return session_queryset(user=user, filters=filters).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=_active_session(filters.window.now)),
        completed=Count("pk", filter=~_active_session(filters.window.now)),
        first_start=Min("start_time"),
        avg_duration=Avg(SESSION_SECONDS),
        min_duration=Min(SESSION_SECONDS),
        max_duration=Max(SESSION_SECONDS),
        total_duration=Sum(SESSION_SECONDS),
    )


def sessions_per_day(*, figures: dict[str, Any], window: Window) -> float:
    """``session_figures``' sessions per day of the range; for ``all``, per local day since the first session's
    (today included); 0 without sessions."""
    days = window.days
    if days is None and figures["first_start"] is not None:
        first_day = figures["first_start"].astimezone(window.tz).date()
        days = (window.now.astimezone(window.tz).date() - first_day).days + 1
    return figures["total"] / days if days else 0.0


def session_count_by_day(*, user: User, filters: SessionFilters) -> list[dict[str, Any]]:
    return _by_day(session_queryset(user=user, filters=filters), "start_time", filters.window.tz)


def session_count_by_hour(*, user: User, filters: SessionFilters) -> list[dict[str, Any]]:
    """``[{"hour": 0..23, "count": n}]`` of the local hour the sessions started at, hours with sessions only."""
    return list(
        session_queryset(user=user, filters=filters)
        .annotate(hour=ExtractHour("start_time", tzinfo=filters.window.tz))
        .values("hour")
        .annotate(count=Count("pk"))
        .order_by("hour")
    )


def session_count_by_country(*, user: User, filters: SessionFilters) -> list[dict[str, Any]]:
    return _counted(session_queryset(user=user, filters=filters), "country_name", Coalesce("country", Value("Unknown")))


def session_count_by_device_and_browser(*, user: User, filters: SessionFilters) -> dict[str, list[dict[str, Any]]]:
    """``{"device": [{"device": label, "count": n}], "browser": [...]}`` (labels with sessions only, most frequent
    first), in one query: the sessions
    are grouped by user agent first (visitors share a few browsers' agents), and the user agent tests run once per
    distinct agent in the outer ``SELECT SUM(n) FILTER (WHERE …) … FROM (…) subquery``."""
    per_agent = session_queryset(user=user, filters=filters).values("user_agent").annotate(n=Rows())
    sums = per_agent.aggregate(
        **{f"device_{n}": Sum("n", filter=condition) for n, condition in enumerate(DEVICES.values())},
        **{f"browser_{n}": Sum("n", filter=condition) for n, condition in enumerate(BROWSERS.values())},
    )
    return {
        "device": _ranked(
            {label: sums[f"device_{n}"] for n, label in enumerate(DEVICES) if sums[f"device_{n}"]}, "device"
        ),
        "browser": _ranked(
            {label: sums[f"browser_{n}"] for n, label in enumerate(BROWSERS) if sums[f"browser_{n}"]}, "browser"
        ),
    }


def session_figures_by_bot(*, user: User, filters: SessionFilters) -> list[dict[str, Any]]:
    """Per bot: sessions, total and average duration (ended sessions); busiest first."""
    return list(
        session_queryset(user=user, filters=filters)
        .values("bot__uuid")
        .annotate(
            count=Count("pk"),
            total_duration=Coalesce(Sum(SESSION_SECONDS), 0.0),
            avg_duration=Avg(SESSION_SECONDS),
        )
        .order_by("-count", "bot__uuid")
    )


SESSION_ROW_FIELDS = ("pk", "bot__uuid", "start_time", "end_time", "user_agent", "ip_address", "interactions")


def session_page(
    *, user: User, filters: SessionFilters, offset: int, limit: int, fields: tuple[str, ...] = SESSION_ROW_FIELDS
) -> list[dict[str, Any]]:
    """One page of the selected sessions, newest first, with their duration in seconds (NULL while open)."""
    return list(
        session_queryset(user=user, filters=filters)
        .annotate(duration=SESSION_SECONDS)
        .order_by("-start_time", "-pk")
        .values(*fields, "duration")[offset : offset + limit]
    )


def session_latest(*, user: User, window: Window, limit: int = 5) -> list[dict[str, Any]]:
    """The sessions started last in the range: id, bot uuid, start and end only (the overview's short list)."""
    return list(
        session_queryset(user=user, filters=SessionFilters(window=window))
        .order_by("-start_time", "-pk")
        .values("pk", "bot__uuid", "start_time", "end_time")[:limit]
    )
