"""The analytics pages (``/dashboard/analytics``…). Views call ``analytics.selectors`` (and ``bots.selectors``):
no query of their own; every figure is the API's (same selectors, same definitions).

One page and its htmx partials, all driven by the same query parameters, named as the API's so that the CSV
export link is the page's own query: ``timeRange`` (``7d|30d|90d|all``, default 30d), ``tz`` (the viewer's IANA
zone; static/js/analytics.js adds it when missing; unknown → UTC, no error), call-log filters ``bot`` (a bot
uuid), ``status`` (API casing: ``in-progress``…), ``from``/``to`` (calendar days in ``tz`` that replace the range
for the call logs, as in the API), ``page`` (call logs) and ``sessions_page``. Invalid values are ignored (the
default applies): a page never answers 400.

- The time range drives the cards, the three daily charts and the per-bot table; the call logs follow the range
  too unless ``from``/``to`` are set. Sessions follow the range.
- Partials (``request.htmx``): ``/dashboard/analytics/calls`` swaps the call logs and tells htmx (``HX-Push-Url``)
  to put the *page's* URL with the filters in the address bar, so a reload or a shared link shows the same
  filters; ``/dashboard/analytics/sessions`` swaps the sessions table (not pushed). Opened without htmx they
  redirect to the page with the same query.
- Each view costs a constant number of queries whatever the number of bots, calls and sessions (pinned in
  analytics/tests/test_pages.py). Reads may come from the read replica (``@replica_reads``): everything,
  templates included, is read and rendered inside the handler.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django_htmx.http import push_url

from accounts.pages import PageLoginRequiredMixin
from analytics import selectors
from analytics.models import CallStatus
from bots.selectors import bot_list
from common.replica import replica_reads

TIME_RANGES = {"7d": "Last 7 days", "30d": "Last 30 days", "90d": "Last 90 days", "all": "All time"}
DEFAULT_RANGE = "30d"
CALL_STATUSES = {selectors.status_to_api(value): label for value, label in CallStatus.choices}
CALLS_PER_PAGE = 20
SESSIONS_PER_PAGE = 10
MAX_PAGE = 1_000_000
UTC = zoneinfo.ZoneInfo("UTC")
CALL_PAGE_FIELDS = (*selectors.CALL_ROW_FIELDS, "bot__uuid", "bot__name")
SESSION_PAGE_FIELDS = (*selectors.SESSION_ROW_FIELDS, "bot__name", "country")


# --- Query parameters -----------------------------------------------------------------------------------------


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _int(value: str | None, default: int) -> int:
    try:
        number = int(value or "")
    except ValueError:
        return default
    return number if 1 <= number <= MAX_PAGE else default


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Params:
    """The pages' query parameters, each one valid or its default."""

    time_range: str = DEFAULT_RANGE
    tz: zoneinfo.ZoneInfo = UTC
    tz_asked: str = ""  # what the URL said, when it named no known zone ("" otherwise)
    bot: str = ""
    status: str = ""  # API casing
    first: datetime.date | None = None
    last: datetime.date | None = None
    page: int = 1
    sessions_page: int = 1

    @classmethod
    def read(cls, request: HttpRequest) -> Params:
        query = request.GET
        time_range = query.get("timeRange", "")
        zone = query.get("tz", "").strip()
        status = query.get("status", "")
        bot = query.get("bot", "").strip()
        first, last = _date(query.get("from")), _date(query.get("to"))
        if first and last and first > last:
            first, last = last, first
        return cls(
            time_range=time_range if time_range in TIME_RANGES else DEFAULT_RANGE,
            tz=zoneinfo.ZoneInfo(zone) if zone in _zone_names() else UTC,
            tz_asked=zone[:64] if zone and zone not in _zone_names() else "",
            bot=bot if len(bot) <= 36 else "",
            status=status if status in CALL_STATUSES else "",
            first=first,
            last=last,
            page=_int(query.get("page"), 1),
            sessions_page=_int(query.get("sessions_page"), 1),
        )

    def query(self, **changes: Any) -> str:
        """The query string of these parameters with ``changes``; defaults left out (``timeRange`` and ``tz``
        always in, so that the CSV export, whose default range differs, gets the same range)."""
        params = replace(self, **changes)
        pairs = {
            "timeRange": params.time_range,
            "tz": params.tz.key,
            "bot": params.bot,
            "status": params.status,
            "from": params.first.isoformat() if params.first else "",
            "to": params.last.isoformat() if params.last else "",
            "page": params.page if params.page > 1 else "",
            "sessions_page": params.sessions_page if params.sessions_page > 1 else "",
        }
        return urlencode({name: value for name, value in pairs.items() if value})

    def range_window(self) -> selectors.Window:
        return selectors.window_for_range(time_range=self.time_range, tz=self.tz)

    def call_filters(self) -> selectors.CallFilters:
        """The call logs' selection: the calendar days ``from``..``to`` when given, else the time range."""
        if self.first or self.last:
            window = selectors.window_for_dates(first=self.first, last=self.last, tz=self.tz)
        else:
            window = self.range_window()
        return selectors.CallFilters(
            window=window,
            bot_uuid=self.bot or None,
            status=selectors.status_from_api(self.status) if self.status else None,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.bot or self.status or self.first or self.last)


def _page_url(params: Params, fragment: str = "", **changes: Any) -> str:
    query = params.query(**changes)
    return reverse("dashboard-analytics") + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


# --- Shaping --------------------------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage; None when there is nothing to divide."""
    return part * 100 / whole if whole else None


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    per_page: int

    @classmethod
    def of(cls, *, page: int, total: int, per_page: int) -> Pager:
        pages = max(1, math.ceil(total / per_page))
        return cls(page=min(page, pages), pages=pages, total=total, per_page=per_page)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.per_page, self.total)


def _days(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    for n in range((last - first).days + 1):
        yield first + datetime.timedelta(days=n)


def _chart_data(window: selectors.Window, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every local day of the range (days without calls at 0, their average duration unknown), for the charts:
    a relative range covers the days from its start's to today's (31 for 30 days: the range is 30 x 24 hours
    back from now); "all" the days from the first call's."""
    today = window.now.astimezone(window.tz).date()
    if window.start is not None:
        first = window.start.astimezone(window.tz).date()
    else:
        first = rows[0]["date"] if rows else today
    by_date = {row["date"]: row for row in rows}
    days = list(_days(first, max(first, today)))
    return {
        "dates": [day.isoformat() for day in days],
        "labels": [f"{day:%b} {day.day}" for day in days],
        "calls": [by_date[day]["count"] if day in by_date else 0 for day in days],
        "cost": [round(by_date[day]["total_cost"], 4) if day in by_date else 0 for day in days],
        "duration": [
            round(by_date[day]["avg_duration"], 1)
            if day in by_date and by_date[day]["avg_duration"] is not None
            else None
            for day in days
        ],
    }


def _bot_rows(bots: list, figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every bot of the owner with its calls' figures (zeros without calls), busiest first, then by name."""
    by_uuid = {row["bot__uuid"]: row for row in figures}
    rows = []
    for bot in bots:
        row = by_uuid.get(bot.uuid, {})
        total = row.get("total", 0)
        rows.append(
            {
                "uuid": bot.uuid,
                "name": bot.name,
                "status": bot.status,
                "total": total,
                "successful": row.get("successful", 0),
                "failed": row.get("failed", 0),
                "success_rate": _rate(row.get("successful", 0), total),
                "total_cost": row.get("total_cost", 0.0),
                "avg_duration": row.get("avg_duration"),
                "total_duration": row.get("total_duration", 0),
            }
        )
    rows.sort(key=lambda row: (-row["total"], row["name"].casefold()))
    return rows


# A line of VAPI's transcript: "AI: …" or "User: …" (older or other providers: Assistant, Bot, Customer…).
_TURN = re.compile(r"^\s*(?P<speaker>ai|assistant|bot|agent|user|customer|caller|human)\s*:\s?(?P<text>.*)$", re.I)
_USER_SPEAKERS = {"user", "customer", "caller", "human"}


@dataclass
class Turn:
    from_user: bool
    text: str


def transcript_turns(transcript: str | None) -> list[Turn]:
    """The transcript as stored (``AI: …`` / ``User: …`` lines) as a conversation: a line without a speaker
    continues the turn before it (or, first, is the assistant's)."""
    turns: list[Turn] = []
    for line in (transcript or "").splitlines():
        match = _TURN.match(line)
        if match:
            turns.append(Turn(from_user=match["speaker"].lower() in _USER_SPEAKERS, text=match["text"].strip()))
        elif line.strip():
            if turns:
                turns[-1].text = f"{turns[-1].text}\n{line.strip()}".strip()
            else:
                turns.append(Turn(from_user=False, text=line.strip()))
    return [turn for turn in turns if turn.text]


def _web_url(url: str | None) -> str | None:
    """A recording URL fit for ``src``/``href``: http(s) only (the webhook stores what VAPI sends)."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


# --- Views ----------------------------------------------------------------------------------------------------


class _PageView(PageLoginRequiredMixin, View):
    """Signed-in owners only (an expired session's htmx request sends the whole page to the sign-in page)."""

    def render_page(
        self, request: HttpRequest, template: str, context: dict[str, Any], tz: zoneinfo.ZoneInfo
    ) -> HttpResponse:
        """Render now (inside the handler, for ``@replica_reads``), times shown in the viewer's zone."""
        with timezone.override(tz):
            return render(request, template, context)


def _call_log_context(user, params: Params) -> dict[str, Any]:
    filters = params.call_filters()
    figures = selectors.call_log_figures(user=user, filters=filters)
    pager = Pager.of(page=params.page, total=figures["total"], per_page=CALLS_PER_PAGE)
    calls = selectors.call_page(
        user=user, filters=filters, offset=pager.offset, limit=pager.per_page, fields=CALL_PAGE_FIELDS
    )
    params = replace(params, page=pager.page)
    return {
        "calls": calls,
        "log_figures": figures,
        "calls_pager": pager,
        "calls_params": params,
        "calls_previous_query": params.query(page=pager.page - 1) if pager.page > 1 else None,
        "calls_next_query": params.query(page=pager.page + 1) if pager.page < pager.pages else None,
        "export_query": params.query(page=1, sessions_page=1),
        "tz_query": urlencode({"tz": params.tz.key}),
    }


def _sessions_context(user, params: Params, total: int) -> dict[str, Any]:
    window = params.range_window()
    pager = Pager.of(page=params.sessions_page, total=total, per_page=SESSIONS_PER_PAGE)
    rows = selectors.session_page(
        user=user,
        filters=selectors.SessionFilters(window=window),
        offset=pager.offset,
        limit=pager.per_page,
        fields=SESSION_PAGE_FIELDS,
    )
    for row in rows:
        row["status"] = selectors.session_status(end_time=row["end_time"], start_time=row["start_time"], now=window.now)
    params = replace(params, sessions_page=pager.page)
    return {
        "sessions": rows,
        "sessions_pager": pager,
        "sessions_previous_query": params.query(sessions_page=pager.page - 1) if pager.page > 1 else None,
        "sessions_next_query": params.query(sessions_page=pager.page + 1) if pager.page < pager.pages else None,
    }


class AnalyticsPageView(_PageView):
    """``/dashboard/analytics``: cards, daily charts, per-bot table, call logs, sessions.

    Queries: the signed-in user's session and row, then the bot figures (no bot: an empty state, nothing more),
    the bots, the call figures (no call in the range: whether there is any call at all; none ever: an empty
    state, no charts or logs), the daily figures, the per-bot figures, the session figures, the call logs'
    figures and page, the sessions' page."""

    template_name = "analytics/dashboard.html"

    @replica_reads
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        params = Params.read(request)
        window = params.range_window()
        context: dict[str, Any] = {
            "nav": "analytics",
            "params": params,
            "time_ranges": [
                (value, label, _page_url(params, time_range=value, page=1, sessions_page=1))
                for value, label in TIME_RANGES.items()
            ],
            "range_label": TIME_RANGES[params.time_range],
        }
        bot_figures = selectors.bot_overview_figures(user=user, window=window)
        context["bot_figures"] = bot_figures
        if not bot_figures["all_bots"]:
            return self.render_page(request, self.template_name, {**context, "empty": "no-bots"}, params.tz)

        bots = list(bot_list(user=user))
        call_figures = selectors.call_figures(user=user, filters=selectors.CallFilters(window=window))
        no_calls_yet = not call_figures["total"] and not selectors.call_exists(user=user)
        session_figures = selectors.session_overview_figures(user=user, window=window)
        context.update(
            bots=bots,
            call_figures=call_figures,
            success_rate=_rate(call_figures["successful"], call_figures["total"]),
            session_figures=session_figures,
            statuses=list(CALL_STATUSES.items()),
            **_sessions_context(user, params, session_figures["total"]),
        )
        if no_calls_yet:
            return self.render_page(request, self.template_name, {**context, "empty": "no-calls"}, params.tz)

        range_filters = selectors.CallFilters(window=window)
        by_day = selectors.call_figures_by_day(user=user, filters=range_filters)
        by_bot = selectors.call_figures_by_bot(user=user, filters=range_filters)
        chart = _chart_data(window, by_day)
        context.update(
            chart=chart,
            chart_days=len(chart["dates"]),
            busiest_day=max(by_day, key=lambda row: row["count"], default=None),
            daily_rows=by_day,
            bot_rows=_bot_rows(bots, by_bot),
            **_call_log_context(user, params),
        )
        return self.render_page(request, self.template_name, context, params.tz)


class CallLogPartialView(_PageView):
    """``/dashboard/analytics/calls``: the call logs (summary, CSV link, table, pages) for htmx; the address bar
    gets the page's URL with the same filters. Queries: the user's session and row, the logs' figures, a page."""

    @replica_reads
    def get(self, request: HttpRequest) -> HttpResponse:
        params = Params.read(request)
        if not request.htmx:
            return HttpResponseRedirect(_page_url(params, "calls"))
        context = {"params": params, **_call_log_context(request.user, params)}
        response = self.render_page(request, "analytics/_calls.html", context, params.tz)
        return push_url(response, _page_url(context["calls_params"], sessions_page=1))


class SessionsPartialView(_PageView):
    """``/dashboard/analytics/sessions``: a page of the sessions of the range, for htmx. Queries: the user's
    session and row, the session figures (the total), a page."""

    @replica_reads
    def get(self, request: HttpRequest) -> HttpResponse:
        params = Params.read(request)
        if not request.htmx:
            return HttpResponseRedirect(_page_url(params, "sessions"))
        window = params.range_window()
        total = selectors.session_overview_figures(user=request.user, window=window)["total"]
        context = {"params": params, **_sessions_context(request.user, params, total)}
        return self.render_page(request, "analytics/_sessions.html", context, params.tz)


class CallDetailView(_PageView):
    """``/dashboard/analytics/calls/<vapi call id>``: one call of the owner (another user's: 404, as none).
    Queries: the user's session and row, the call with its bot."""

    @replica_reads
    def get(self, request: HttpRequest, vapi_call_id: str) -> HttpResponse:
        params = Params.read(request)
        call = selectors.call_get(user=request.user, vapi_call_id=vapi_call_id)
        turns = transcript_turns(call.transcript)
        context = {
            "nav": "analytics",
            "params": params,
            "call": call,
            "status": selectors.status_to_api(call.status),
            "turns": turns,
            "recording_url": _web_url(call.recording),
            "back_url": _page_url(params, "calls"),
        }
        return self.render_page(request, "analytics/call_detail.html", context, params.tz)


class SummaryPartialView(_PageView):
    """``/dashboard/analytics/summary[?tz=]``: two cards for the dashboard's overview, swapped in place of a
    placeholder (one wrapper element): the interactions of this calendar month in the viewer's zone, i.e. the
    calls plus the widget sessions started since the 1st at local midnight, and the success rate of this month's
    calls. Queries: the user's session and row, the call figures, the session figures."""

    @replica_reads
    def get(self, request: HttpRequest) -> HttpResponse:
        params = Params.read(request)
        window = selectors.window_for_month(tz=params.tz)
        calls = selectors.call_overview_figures(user=request.user, window=window)
        sessions = selectors.session_overview_figures(user=request.user, window=window)
        context = {
            "month_start": window.start,
            "calls": calls["total"],
            "successful": calls["successful"],
            "sessions": sessions["total"],
            "interactions": calls["total"] + sessions["total"],
            "success_rate": _rate(calls["successful"], calls["total"]),
            "analytics_url": _page_url(params),
        }
        return self.render_page(request, "analytics/_summary.html", context, params.tz)


analytics_page = AnalyticsPageView.as_view()
call_log_partial = CallLogPartialView.as_view()
sessions_partial = SessionsPartialView.as_view()
call_detail = CallDetailView.as_view()
summary_partial = SummaryPartialView.as_view()
