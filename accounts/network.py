"""Who is on the other end of a request."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or behind a configured proxy (BEHIND_PROXY) the last address the proxy
    appended to X-Forwarded-For. Forwarded headers are never believed otherwise: a client can write anything
    there. The same rule as DRF's throttling (NUM_PROXIES), so limits and records name the same address."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-1]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_country(request: HttpRequest) -> str | None:
    """A two-letter country code from GEO_COUNTRY_HEADER (set by a CDN in front of us), behind a proxy only."""
    if not (settings.BEHIND_PROXY and settings.GEO_COUNTRY_HEADER):
        return None
    value = request.headers.get(settings.GEO_COUNTRY_HEADER, "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else None
