"""Rate limits per client address on everything that answers without a sign-in (``RateLimitMiddleware``).

Each request falls in one scope, whose rate is ``settings.RATE_LIMITS[scope]`` (``<count>/<period>``, e.g.
``120/min``, ``10/5m``):

- ``widget``: the widget's public requests (``PUBLIC_WIDGET_ROUTES``: its own routes and the legacy status and
  config routes), whoever makes them, as before (a signed-in owner trying their widget counts too).
- ``probe``: ``/api/health``, ``/api/ready`` and ``/metrics``, whoever asks. Load balancers and orchestrators probe
  them often from few addresses: a generous rate, but a flood of them is still cut.
- ``webhook``: the machine routes that a secret authenticates (VAPI's webhook and knowledge base, Clerk's
  webhook). Only the requests they refuse count (answered 4xx: a missing or wrong secret or signature, a
  malformed body), after the answer, and past the limit the refusals become 429. A valid delivery is never
  counted, delayed or refused: VAPI sends hundreds of reports a second from a few addresses, and since the
  credentials are checked before anything is counted, neither a stranger's failures from a shared address nor
  VAPI's own failures during a secret rotation can hold a valid delivery back. What an invalid request costs us
  is one constant-time comparison (one HMAC for Clerk's): the limit bounds what a sender without credentials can
  make us answer and log.
- ``anonymous``: every other request that is not signed in: the pages (``/``, ``/sign-in``, ``/sign-up``,
  ``/test-embed``, the admin's login), the API's schema and docs, unknown paths, an owner route asked without a
  sign-in. Signed-in requests do not count here. A bearer token or Clerk cookie under /api/ is checked by DRF in
  the view, not here: such a request counts after its answer when it turned out to be anonymous (a forged
  token), and past the limit that answer becomes 429.

Counting is django-ratelimit's ``get_usage``: a fixed window per client and scope, kept in the default cache with
an atomic ``add`` then ``incr``. With ``CACHE_URL`` (Redis) that is Redis' INCR, so every web process counts into
the same number and concurrent requests are never lost (DRF's throttles read a list of timestamps and write it
back: two processes at once lose one of the two). Without it, each process counts in its own memory (the quick
start's single process). The client is ``common.network.client_network``: the one client address rule, IPv6 per
/64. A cache that does not answer lets requests through, logged: a Redis outage must not take the site, and its
health probes, down with it.

Past the limit: 429 with ``Retry-After`` (the seconds left in the window); under /api/ the JSON envelope with
``retryAfter``, elsewhere a plain page in the product's layout. CORS preflights are answered by
django-cors-headers before this middleware and do not count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from accounts.authentication import session_cookie
from common.errors import is_api_request, json_error
from common.network import client_network
from common.public_routes import is_public_widget_request, url_name

logger = logging.getLogger(__name__)

WIDGET, PROBE, WEBHOOK, ANONYMOUS = "widget", "probe", "webhook", "anonymous"


def scope_of(request: HttpRequest) -> str:
    if is_public_widget_request(request):
        return WIDGET
    name = url_name(request)
    if name in settings.PROBE_ROUTES:
        return PROBE
    if name in settings.WEBHOOK_ROUTES:
        return WEBHOOK
    return ANONYMOUS


def _client(group: str, request: HttpRequest) -> str:
    # Requests whose address cannot be read (a misconfigured unix socket) share one count rather than none.
    return client_network(request) or "unknown"


def count(request: HttpRequest, scope: str) -> int | None:
    """Count the request in its scope: the seconds to wait when that puts its client over the limit, else None."""
    try:
        usage = get_usage(request, group=scope, key=_client, rate=settings.RATE_LIMITS[scope], increment=True)
    except Exception as exc:  # each cache backend raises its own connection errors
        logger.warning("Rate limits: the cache did not answer (%s); the request goes on uncounted", type(exc).__name__)
        return None
    if usage is None or not usage["should_limit"]:  # None: the cache answered nothing (RATELIMIT_FAIL_OPEN)
        return None
    return max(1, usage["time_left"])


def too_many_requests(request: HttpRequest, retry_after: int) -> HttpResponse:
    if is_api_request(request):
        response = json_error(429, "Too many requests", retryAfter=retry_after)
    else:
        response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def _checked_by_the_view(request: HttpRequest) -> bool:
    """Credentials that DRF, not the middleware stack, checks: a bearer token or Clerk's cookie under /api/."""
    return is_api_request(request) and ("authorization" in request.headers or session_cookie(request) is not None)


class RateLimitMiddleware:
    """After the authentication middleware (pages know their signed-in user) and after django-cors-headers (a
    429 carries the CORS headers the widget needs to read it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        return self._count_after(request, response) or response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        scope = request.rate_limit_scope = scope_of(request)
        if scope == WEBHOOK:
            return None  # counted after the answer, refusals only
        if scope == ANONYMOUS:
            if _checked_by_the_view(request):
                request.rate_limit_after = True
                return None
            if _signed_in(request):
                return None
        retry_after = count(request, scope)
        return too_many_requests(request, retry_after) if retry_after else None

    def _count_after(self, request: HttpRequest, response: HttpResponse) -> HttpResponse | None:
        scope = getattr(request, "rate_limit_scope", None)
        if scope == WEBHOOK:
            counts = 400 <= response.status_code < 500 and response.status_code != 429
        elif scope == ANONYMOUS:
            counts = getattr(request, "rate_limit_after", False) and not _signed_in(request)
        elif scope is None:
            # No view was resolved: an unknown path outside /api/ (under /api/ a catch-all view answers them).
            scope = ANONYMOUS
            counts = response.status_code == 404 and not _signed_in(request)
        else:
            counts = False
        if not counts:
            return None
        retry_after = count(request, scope)
        return too_many_requests(request, retry_after) if retry_after else None
