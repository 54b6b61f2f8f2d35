"""The analytics pages (``/dashboard/analytics``…). Views call ``analytics.selectors`` (and ``bots.selectors``):
no query and no figure of their own; every figure is the API's (same selectors, same definitions, same
parameters: analytics/tests/test_one_path.py holds the page and the API side by side).

One page and its htmx partials, all driven by the query parameters of ``analytics.filters`` (the API's, so that
the CSV export link is the page's own query): ``timeRange`` (default 30d), ``tz`` (the viewer's IANA zone;
static/js/analytics.js adds it when missing), call-log filters ``bot`` (a bot uuid), ``status`` (API casing:
``in-progress``…), ``from``/``to`` (calendar days in ``tz`` that replace the range for the call logs, as in the
API), ``page`` (call logs) and ``sessions_page``, read leniently: an invalid value is its default (an unknown zone
is UTC, and the page says so), so a page never answers 400. Both lists are paged by ``analytics.pagination.Pager``
(a page past the last shows the last).

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

import re
import zoneinfo
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views import View
from django_htmx.http import push_url

from accounts.pages import PageLoginRequiredMixin
from analytics import selectors
from analytics.filters import CALL_STATUSES, TIME_RANGES, AnalyticsQuery, read_query
from analytics.pagination import Pager
from bots.selectors import bot_list
from common.replica import replica_reads

CALLS_PER_PAGE = 20
SESSIONS_PER_PAGE = 10
CALL_PAGE_FIELDS = (*selectors.CALL_ROW_FIELDS, "bot__uuid", "bot__name")
SESSION_PAGE_FIELDS = (*selectors.SESSION_ROW_FIELDS, "bot__name", "country")


# --- The pages' address: the query as the FilterSet read it, and the pages of its two lists ---------------------

PAGE_PARAMETERS = ("timeRange", "tz", "bot", "status", "from", "to", "page", "sessions_page")


@dataclass(frozen=True)
class Params:
    """The page's query (``analytics.filters``, read leniently: each value valid or its default), with the query
    strings of links to the page with some of it changed."""

    query: AnalyticsQuery

    @classmethod
    def read(cls, request: HttpRequest) -> Params:
        return cls(query=read_query(request.GET, only=PAGE_PARAMETERS, lenient=True))

    # What the templates and links show of the query.
    time_range = property(lambda self: self.query.time_range)
    tz = property(lambda self: self.query.tz)
    tz_asked = property(lambda self: self.query.tz_asked)
    bot = property(lambda self: self.query.bot_uuid)
    status = property(lambda self: self.query.status)
    first = property(lambda self: self.query.first)
    last = property(lambda self: self.query.last)
    page = property(lambda self: self.query.page)
    sessions_page = property(lambda self: self.query.sessions_page)

    @property
    def filtered(self) -> bool:
        return bool(self.bot or self.status or self.query.dates)

    def with_changes(self, **changes: Any) -> Params:
        """The same with some of ``time_range``, ``page``, ``sessions_page`` changed."""
        return Params(query=replace(self.query, **changes))

    def query_string(self, **changes: Any) -> str:
        """The query string of these parameters with ``changes``; defaults left out (``timeRange`` and ``tz``
        always in, so that the CSV export, whose default range differs, gets the same range)."""
        params = self.with_changes(**changes)
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


def _page_url(params: Params, fragment: str = "", **changes: Any) -> str:
    query = params.query_string(**changes)
    return reverse("dashboard-analytics") + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


# --- Shaping --------------------------------------------------------------------------------------------------


def _chart_data(series: list[dict[str, Any]]) -> dict[str, Any]:
    """``selectors.daily_series`` as the charts' arrays (a day without calls: 0, its average duration unknown)."""
    return {
        "dates": [row["date"].isoformat() for row in series],
        "labels": [date_format(row["date"], "MONTH_DAY_FORMAT") for row in series],
        "calls": [row["count"] for row in series],
        "cost": [round(row["total_cost"], 4) for row in series],
        "duration": [None if row["avg_duration"] is None else round(row["avg_duration"], 1) for row in series],
    }


# A line of VAPI's transcript: "AI: …" or "User: …" (older or other providers: Assistant, Bot, Customer…).
_TURN = re.compile(r"^\s*(?P<speaker>ai|assistant|bot|agent|user|customer|caller|human)\s*:\s?(?P<text>.*)$", re.I)
_USER_SPEAKERS = {"user", "customer", "caller", "human"}


@dataclass
class Turn:
    from_user: bool
    text: str
    at: str | None = None  # when it was said, from the call's start ("1:05"), when VAPI's messages say


def call_turns(call) -> list[Turn]:
    """The call as a conversation: VAPI's messages when the end-of-call report listed them (speaker and timing
    are exact), else the transcript's lines."""
    if not call.messages:
        return transcript_turns(call.transcript)
    turns = []
    for message in call.messages:
        seconds = message.get("secondsFromStart")
        at = None
        if isinstance(seconds, int | float) and seconds >= 0:
            minutes, rest = divmod(int(seconds), 60)
            at = f"{minutes}:{rest:02d}"
        turns.append(Turn(from_user=message.get("role") == "user", text=message.get("message") or "", at=at))
    return [turn for turn in turns if turn.text.strip()]


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
    filters = params.query.call_filters()
    figures = selectors.call_log_figures(user=user, filters=filters)
    pager = Pager(page=params.page, per_page=CALLS_PER_PAGE, total=figures["total"]).within()
    calls = selectors.call_page(
        user=user, filters=filters, offset=pager.offset, limit=pager.per_page, fields=CALL_PAGE_FIELDS
    )
    params = params.with_changes(page=pager.page)
    return {
        "calls": calls,
        "log_figures": figures,
        "calls_pager": pager,
        "calls_params": params,
        "calls_previous_query": params.query_string(page=pager.page - 1) if pager.page > 1 else None,
        "calls_next_query": params.query_string(page=pager.page + 1) if pager.page < pager.pages else None,
        "export_query": params.query_string(page=1, sessions_page=1),
        "tz_query": urlencode({"tz": params.tz.key}),
    }


def _sessions_context(user, params: Params, total: int) -> dict[str, Any]:
    filters = selectors.SessionFilters(window=params.query.window())
    pager = Pager(page=params.sessions_page, per_page=SESSIONS_PER_PAGE, total=total).within()
    rows = selectors.session_page(
        user=user, filters=filters, offset=pager.offset, limit=pager.per_page, fields=SESSION_PAGE_FIELDS
    )
    now = filters.window.now
    for row in rows:
        row["status"] = selectors.session_status(end_time=row["end_time"], start_time=row["start_time"], now=now)
    params = params.with_changes(sessions_page=pager.page)
    return {
        "sessions": rows,
        "sessions_pager": pager,
        "sessions_previous_query": params.query_string(sessions_page=pager.page - 1) if pager.page > 1 else None,
        "sessions_next_query": (
            params.query_string(sessions_page=pager.page + 1) if pager.page < pager.pages else None
        ),
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
        window = params.query.window()
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
            success_rate=selectors.percent(call_figures["successful"], call_figures["total"]),
            session_figures=session_figures,
            statuses=list(CALL_STATUSES.items()),
            **_sessions_context(user, params, session_figures["total"]),
        )
        if no_calls_yet:
            return self.render_page(request, self.template_name, {**context, "empty": "no-calls"}, params.tz)

        range_filters = selectors.CallFilters(window=window)
        by_day = selectors.call_figures_by_day(user=user, filters=range_filters)
        by_bot = selectors.call_figures_by_bot(user=user, filters=range_filters)
        chart = _chart_data(selectors.daily_series(window=window, rows=by_day))
        context.update(
            chart=chart,
            chart_days=len(chart["dates"]),
            busiest_day=max(by_day, key=lambda row: row["count"], default=None),
            daily_rows=by_day,
            bot_rows=selectors.call_figures_for_bots(bots=bots, figures=by_bot),
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
        total = selectors.session_overview_figures(user=request.user, window=params.query.window())["total"]
        context = {"params": params, **_sessions_context(request.user, params, total)}
        return self.render_page(request, "analytics/_sessions.html", context, params.tz)


class CallDetailView(_PageView):
    """``/dashboard/analytics/calls/<vapi call id>``: one call of the owner (another user's: 404, as none).
    Queries: the user's session and row, the call with its bot."""

    @replica_reads
    def get(self, request: HttpRequest, vapi_call_id: str) -> HttpResponse:
        params = Params.read(request)
        call = selectors.call_get(user=request.user, vapi_call_id=vapi_call_id)
        turns = call_turns(call)
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
            "success_rate": selectors.percent(calls["successful"], calls["total"]),
            "analytics_url": _page_url(params),
        }
        return self.render_page(request, "analytics/_summary.html", context, params.tz)


analytics_page = AnalyticsPageView.as_view()
call_log_partial = CallLogPartialView.as_view()
sessions_partial = SessionsPartialView.as_view()
call_detail = CallDetailView.as_view()
summary_partial = SummaryPartialView.as_view()
