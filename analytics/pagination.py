"""The one paginator of the analytics lists (the API's ``recentCalls``, ``recentSessions`` and ``logs``; the pages'
call logs and sessions): ``ORDER BY time DESC, id DESC LIMIT/OFFSET`` pages over the owner/time indexes, whose
``total`` is a ``COUNT`` of the same selection that the report's figures already include (no query of its own).
Fine for the first hundreds of pages, which is what a dashboard shows; a keyset cursor can be added beside it.

The page numbers come from the query (``analytics.filters``: ``page``, ``limit``, ``sessions_page``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Pager:
    """Page ``page`` (from 1) of ``per_page`` rows out of ``total``."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (one, empty, when there is nothing)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_more(self) -> bool:
        return self.page * self.per_page < self.total

    @property
    def first_row(self) -> int:
        """The 1-based number of the page's first row (0 when there is none)."""
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.per_page, self.total)

    def within(self) -> Pager:
        """The same, or the last page when this one is past it (the pages show the last rows; the API answers an
        empty page, as the original did)."""
        return replace(self, page=min(self.page, self.pages))

    def legacy(self) -> dict[str, Any]:
        """The legacy API's ``pagination`` object."""
        return {"page": self.page, "limit": self.per_page, "total": self.total, "hasMore": self.has_more}
