"""Who may read ``/metrics``: a caller with ``METRICS_TOKEN`` as its bearer token, or one whose address is in
``METRICS_ALLOWED_IPS``; either is enough. With neither configured, nobody (the route answers 404).

Kept apart from ``metrics`` (and free of prometheus_client and DRF) so that settings.py can validate the two
settings at start-up: a malformed network or a guessable token stops the process with a message naming it,
rather than turning every scrape into a 500 or an open door.
"""

from __future__ import annotations

import enum
import functools
import hmac
import ipaddress
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# A token shorter than this could be guessed by a scraper's worth of requests; generate one with
# `python -c 'import secrets; print(secrets.token_urlsafe(32))'`.
MIN_TOKEN_LENGTH = 16

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Access(enum.Enum):
    DISABLED = "disabled"  # nothing configured: 404
    GRANTED = "granted"
    UNAUTHENTICATED = "unauthenticated"  # a token is configured: 401, with WWW-Authenticate
    DENIED = "denied"  # 403: only an allow-list is configured, and the caller is not on it


@functools.lru_cache(maxsize=16)
def allowed_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """``METRICS_ALLOWED_IPS`` entries (addresses or CIDR networks) parsed; ImproperlyConfigured names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_IPS: {entry!r} is neither an IP address nor a network (e.g. 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def validate_metrics_settings(*, token: str, allowed_ips: Sequence[str]) -> None:
    """Raise ImproperlyConfigured for a token too short to be secret or a malformed allow-list entry."""
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    allowed_networks(tuple(allowed_ips))


def _bearer_token(request: Any) -> str:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


def token_matches(request: Any, token: str) -> bool:
    provided = _bearer_token(request)
    # Constant time: how much of a guess was right must not show in the response time.
    return bool(provided) and hmac.compare_digest(provided.encode(), token.encode())


def address_allowed(request: Any, networks: Sequence[Network]) -> bool:
    from common.network import client_ip  # the app layer, loaded after settings

    # X-Forwarded-For is read only behind TRUSTED_PROXY_COUNT proxies, as for rate limits: otherwise a client could
    # name any address on the list.
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def metrics_access(request: Any, *, token: str, allowed_ips: Sequence[str]) -> Access:
    networks = allowed_networks(tuple(allowed_ips))
    if not token and not networks:
        return Access.DISABLED
    if token and token_matches(request, token):
        return Access.GRANTED
    if networks and address_allowed(request, networks):
        return Access.GRANTED
    return Access.UNAUTHENTICATED if token else Access.DENIED
