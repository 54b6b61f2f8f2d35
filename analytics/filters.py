"""The analytics query parameters, read once for the API and the pages: one FilterSet (``AnalyticsFilter``).

Each parameter is declared here once, with its rules (choices, lengths, formats, bounds); the API's 400s, the
pages' fallbacks and the OpenAPI parameters (``analytics.api.schema``) all come from these declarations:

- ``timeRange`` ``7d|30d|90d|all`` (default ``30d``; the call logs and their export ``7d``);
- ``tz`` an IANA time zone name, exactly as ``zoneinfo`` knows it (default ``UTC``): the day and hour buckets;
- ``assistantId`` (a VAPI assistant id), ``botUuid`` and its alias ``bot`` (a bot's uuid), ``status`` (a call
  status in the API's casing, ``in-progress``…), ``from``/``to`` (``YYYY-MM-DD``, calendar days in ``tz`` that
  replace ``timeRange`` for the calls), ``callId`` (one call of the logs, its VAPI id);
- ``page`` (from 1), ``limit`` (1 to ``MAX_LIMIT`` rows, default 50; the API's) and ``sessions_page`` (the
  pages' second list): the page of a list (``analytics.pagination.Pager`` does the arithmetic).

An empty value (``?status=``) is the same as no value. Each view reads only the parameters it documents
(``only=``); others are ignored, as before.

Two ways to read them. Strictly (the API): a value that breaks its rule is a 400 in the error envelope, naming the
parameter (``"tz: …"``); so are ``from`` after ``to`` and a parameter given twice. Leniently (the pages, which
never answer 400): such a value is left out, so its default applies; an unknown zone is UTC, remembered in
``tz_asked`` to say so; dates in the wrong order are swapped; of a parameter given twice, the last value counts.

The FilterSet is the reading of the parameters only; the rows are selected by ``analytics.selectors``, owner
first, from the typed filters ``AnalyticsQuery`` gives (``window``, ``call_filters``, ``session_filters``): a
report needs its window for more than filtering (day buckets in ``tz``, the previous range), and every figure of
the API and of the pages comes from the same selector calls.
"""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django_filters.utils import translate_validation
from rest_framework import exceptions

from analytics import selectors
from analytics.models import Call, CallStatus

# The selectors' ranges, with the pages' labels.
TIME_RANGES = dict(
    zip(selectors.TIME_RANGE_DAYS, ["Last 7 days", "Last 30 days", "Last 90 days", "All time"], strict=True)
)
CALL_STATUSES = {selectors.status_to_api(value): label for value, label in CallStatus.choices}
UTC = zoneinfo.ZoneInfo("UTC")
MAX_PAGE = 1_000_000
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
CUSTOM_RANGE = "custom"  # the response's timeRange when from/to chose the calls


@functools.cache
def zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# --- Form fields: each accepts exactly what the OpenAPI schema says -------------------------------------------


class TimeZoneField(forms.Field):
    """An IANA time zone name, e.g. ``Europe/Berlin``, exactly as written (the schema's enum), as a ``ZoneInfo``."""

    default_error_messages = {"invalid": '"%(name)s" is not a known time zone (IANA name, e.g. Europe/Berlin).'}

    def to_python(self, value: Any) -> zoneinfo.ZoneInfo | None:
        if value in self.empty_values:
            return None
        if value not in zone_names():
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"name": str(value)[:64]})
        return zoneinfo.ZoneInfo(value)


class TextField(forms.CharField):
    """Text of at most ``max_length`` characters as sent; surrounding white space is then dropped (``"  "`` is no
    value), as DRF's fields did. The length is checked first, so that it is the schema's ``maxLength``."""

    def to_python(self, value: Any) -> str:
        if isinstance(value, str) and self.max_length is not None and len(value) > self.max_length:
            raise ValidationError(
                f"Ensure this field has no more than {self.max_length} characters.", code="max_length"
            )
        return super().to_python(value)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class IsoDateField(forms.DateField):
    """A calendar day written ``YYYY-MM-DD`` (RFC 3339 ``full-date``: the schema's ``format: date``), nothing else."""

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        try:
            if _ISO_DATE.fullmatch(value):
                return datetime.date.fromisoformat(value)
        except ValueError:
            pass
        raise ValidationError("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.", code="invalid")


_DIGITS = re.compile(r"-?\d{1,20}", re.ASCII)


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits, e.g. ``2`` (not ``2.0``, `` 2``, ``+2`` or ``٢``): the schema's integer."""

    default_error_messages = {"invalid": "A valid integer is required."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not _DIGITS.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class _Filter(django_filters.Filter):
    """A parameter whose value the selectors apply (see the module's docstring): read and checked here."""

    def filter(self, qs, value):  # the FilterSet's queryset is not the selection
        return qs


class _TimeZoneFilter(_Filter):
    field_class = TimeZoneField


class _TextFilter(_Filter):
    field_class = TextField


class _DateFilter(_Filter):
    field_class = IsoDateField


class _ChoiceFilter(_Filter):
    field_class = forms.ChoiceField

    def __init__(self, *, choices: list[str], **kwargs) -> None:
        super().__init__(
            choices=[("", ""), *((choice, choice) for choice in choices)],
            error_messages={"invalid_choice": '"%(value)s" is not a valid choice.'},
            **kwargs,
        )


class _NumberFilter(_Filter):
    field_class = WholeNumberField


# --- The FilterSet --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalyticsQuery:
    """What the parameters ask for, valid (see the module's docstring); absent values are defaults or ``""``."""

    time_range: str = "30d"
    tz: zoneinfo.ZoneInfo = UTC
    tz_asked: str = ""  # lenient reading only: the zone the URL named when none is known by that name
    assistant_id: str = ""
    bot_uuid: str = ""
    status: str = ""  # API casing
    first: datetime.date | None = None
    last: datetime.date | None = None
    call_id: str = ""
    page: int = 1
    limit: int = DEFAULT_LIMIT
    sessions_page: int = 1

    @property
    def dates(self) -> bool:
        """Whether ``from``/``to`` choose the calls (instead of ``timeRange``)."""
        return bool(self.first or self.last)

    @property
    def call_time_range(self) -> str:
        """The ``timeRange`` the call logs answer with: ``custom`` when dates chose the calls."""
        return CUSTOM_RANGE if self.dates else self.time_range

    def window(self) -> selectors.Window:
        """The time range ending now, in ``tz``."""
        return selectors.window_for_range(time_range=self.time_range, tz=self.tz)

    def call_window(self) -> selectors.Window:
        """The calls' window: the calendar days ``from``..``to`` when given, else the time range."""
        if self.dates:
            return selectors.window_for_dates(first=self.first, last=self.last, tz=self.tz)
        return self.window()

    def call_filters(self) -> selectors.CallFilters:
        return selectors.CallFilters(
            window=self.call_window(),
            assistant_id=self.assistant_id or None,
            bot_uuid=self.bot_uuid or None,
            status=selectors.status_from_api(self.status) if self.status else None,
        )

    def session_filters(self) -> selectors.SessionFilters:
        return selectors.SessionFilters(window=self.window(), bot_uuid=self.bot_uuid or None)


class AnalyticsFilter(django_filters.FilterSet):
    """Every analytics query parameter (see the module's docstring). ``only``: the names a view reads;
    ``time_range_default``: its default range; ``lenient``: the pages' reading."""

    timeRange = _ChoiceFilter(choices=list(TIME_RANGES), help_text="Rows of the last 7, 30 or 90 days, or all.")
    tz = _TimeZoneFilter(help_text="IANA time zone of the day and hour buckets (default UTC).")
    assistantId = _TextFilter(max_length=100, help_text="Only this VAPI assistant's calls.")
    botUuid = _TextFilter(max_length=36, help_text="Only this bot's rows (its public uuid).")
    bot = _TextFilter(max_length=36, help_text="Same as botUuid.")
    status = _ChoiceFilter(choices=list(CALL_STATUSES), help_text="Only calls in this status.")
    callId = _TextFilter(max_length=100, help_text="One call (its VAPI id) in detail.")
    page = _NumberFilter(min_value=1, max_value=MAX_PAGE, help_text="Page of the list, from 1.")
    limit = _NumberFilter(min_value=1, max_value=MAX_LIMIT, help_text=f"Rows per page, at most {MAX_LIMIT}.")
    sessions_page = _NumberFilter(min_value=1, max_value=MAX_PAGE, help_text="Page of the sessions, from 1.")

    class Meta:
        model = Call
        fields: list[str] = []

    def __init__(
        self,
        data: QueryDict | dict | None = None,
        *,
        only: tuple[str, ...] | None = None,
        time_range_default: str = "30d",
        lenient: bool = False,
    ) -> None:
        super().__init__(data=data if data is not None else {})
        if only is not None:
            unknown = set(only) - set(self.filters)
            if unknown:
                raise ValueError(f"Unknown analytics parameters: {sorted(unknown)}")
            self.filters = {name: self.filters[name] for name in self.filters if name in only}
        self.time_range_default = time_range_default
        self.lenient = lenient

    def defaults(self) -> dict[str, Any]:
        """The value each parameter of this reading has when none is given."""
        defaults = {
            "timeRange": self.time_range_default,
            "tz": "UTC",
            "page": 1,
            "limit": DEFAULT_LIMIT,
            "sessions_page": 1,
        }
        return {name: value for name, value in defaults.items() if name in self.filters}

    def read(self) -> AnalyticsQuery:
        """The parameters, valid; strictly: ``ValidationError`` (400) naming the first invalid one."""
        if not self.lenient and isinstance(self.data, QueryDict):
            # One value each, as the schema says (?bot=a&bot=b would otherwise be read as its last value).
            repeated = {
                name: ["Give one value, not several."] for name in self.filters if len(self.data.getlist(name)) > 1
            }
            if repeated:
                raise exceptions.ValidationError(repeated)
        form = self.form
        if form.is_valid():
            values = form.cleaned_data
        elif not self.lenient:
            raise translate_validation(form.errors)
        else:
            values = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
        first, last = values.get("from"), values.get("to")
        if first and last and first > last:
            if not self.lenient:
                raise exceptions.ValidationError({"from": ["must not be after to."]})
            first, last = last, first
        tz_asked = ""
        if "tz" in form.errors:
            tz_asked = str(self.data.get("tz", ""))[:64]
        return AnalyticsQuery(
            time_range=values.get("timeRange") or self.time_range_default,
            tz=values.get("tz") or UTC,
            tz_asked=tz_asked,
            assistant_id=values.get("assistantId") or "",
            bot_uuid=values.get("botUuid") or values.get("bot") or "",
            status=values.get("status") or "",
            first=first,
            last=last,
            call_id=values.get("callId") or "",
            page=values.get("page") or 1,
            limit=values.get("limit") or DEFAULT_LIMIT,
            sessions_page=values.get("sessions_page") or 1,
        )


# "from" is a Python keyword: these two cannot be declared in the class body.
AnalyticsFilter.base_filters["from"] = _DateFilter(
    field_name="from", help_text="First day (in tz) of a calendar range; replaces timeRange."
)
AnalyticsFilter.base_filters["to"] = _DateFilter(
    field_name="to", help_text="Last day (in tz, inclusive); replaces timeRange."
)


def read_query(
    data: QueryDict | dict, *, only: tuple[str, ...], time_range_default: str = "30d", lenient: bool = False
) -> AnalyticsQuery:
    """``AnalyticsFilter(data, …).read()``."""
    return AnalyticsFilter(data, only=only, time_range_default=time_range_default, lenient=lenient).read()
