"""Who is on the other end of a request."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies the address the outermost of
    them appended to X-Forwarded-For, i.e. the N-th entry from the right.

    Each proxy appends the address it was reached from, so the N rightmost entries are written by our proxies and
    anything to their left was sent by the client, who can write anything there: it is never read. A header with
    fewer entries than proxies (a request that did not come through all of them) gives its leftmost entry, and no
    header gives REMOTE_ADDR. This is DRF's rule for ``NUM_PROXIES``, which settings set to the same count: the
    rate limits, the login lockout, the metrics allow-list and the sessions' records all name the same address.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            address = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_network(request: HttpRequest) -> str | None:
    """The address that rate limits and login lockouts count against: ``client_ip``, or for IPv6 the first address
    of its /64, the block a provider gives one subscriber (who could otherwise take a fresh address, and a fresh
    allowance, from it at will). None when the client's address is unknown."""
    address = client_ip(request)
    if address is None or ":" not in address:
        return address
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)


def client_country(request: HttpRequest) -> str | None:
    """A two-letter country code from GEO_COUNTRY_HEADER (set by a CDN in front of us), behind a proxy only."""
    if not (settings.BEHIND_PROXY and settings.GEO_COUNTRY_HEADER):
        return None
    value = request.headers.get(settings.GEO_COUNTRY_HEADER, "").strip().upper()
    return value if len(value) == 2 and value.isalpha() else None
