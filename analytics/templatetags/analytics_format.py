"""Formatting for the analytics pages: durations, money, percentages, call statuses. Unknown values show "—"."""

from __future__ import annotations

from django import template

from analytics.models import CallStatus

register = template.Library()

NONE = "—"


def _number(value) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as ``45s``, ``1m 35s``, ``2h 05m``."""
    if _number(seconds) is None:
        return NONE
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


@register.filter
def money(dollars: float | None) -> str:
    """US dollars, cents (VAPI's costs are dollars)."""
    if _number(dollars) is None:
        return NONE
    return f"${dollars:,.2f}"


@register.filter
def percent(value: float | None) -> str:
    return NONE if _number(value) is None else f"{value:.1f}%"


@register.filter
def call_status(value: str) -> str:
    """``IN_PROGRESS`` → ``In progress``."""
    try:
        return CallStatus(value).label
    except ValueError:
        return value
