"""DRF authentication with Clerk session tokens: ``Authorization: Bearer <jwt>`` from the frontend and API
clients, or the ``__session`` cookie (``__session_<suffix>`` too) that Clerk sets for same-site pages.

Cross-site request forgery, for the cookie only (a Bearer token is never sent by a browser on its own, so it needs
no defence). The browser attaches the cookie to requests that other pages make, so an unsafe method signed in by
it must prove that one of our own pages sent it. The original frontend is a same-origin app whose ``fetch()``
calls carry the cookie and no Django CSRF token, so Django's double-submit token cannot be the only proof. OWASP's
CSRF Prevention Cheat Sheet names two other sound defences, both set by the browser (scripts cannot forge them):

- origin verification: the ``Origin`` header, which browsers send with every non-GET ``fetch()`` and form post,
  compared with this site's own origin (or one of ``CSRF_TRUSTED_ORIGINS``), exactly as Django's
  ``CsrfViewMiddleware`` compares it (its code is reused: the same origin behind a TLS-terminating proxy, with
  ``SECURE_PROXY_SSL_HEADER`` and ``USE_X_FORWARDED_HOST``, and the same ``*.`` wildcards);
- Fetch Metadata: ``Sec-Fetch-Site``, sent by every current browser: ``same-origin`` is proof, ``same-site`` and
  ``cross-site`` are refusals. ``same-site`` matters: a page on another subdomain or port of the same site is sent
  Clerk's ``SameSite=Lax`` cookie, so SameSite alone would not stop it; only a trusted Origin lets it through.

So: an ``Origin`` decides when there is one (ours or trusted: accepted; any other, ``null`` included: refused, a
CSRF token notwithstanding, as Django does); without it ``Sec-Fetch-Site`` decides (``same-origin``: accepted,
``same-site`` / ``cross-site``: refused); a request that proves nothing (neither header, or ``none``: an old
browser, a client that is not a browser) needs Django's CSRF token, as before. Refusals are 403 in the error
envelope, raised while authenticating: before the view, so nothing is written and no user row is created. The
pages (``accounts.pages``) are not concerned: Django's ``CsrfViewMiddleware`` and its token guard them.
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from accounts.models import User
from accounts.services import UserDeleted, user_get_or_create_for_session
from accounts.tokens import SessionClaims, TokenError, VerificationUnavailable, verify_session_token
from common.errors import UnavailableError

logger = logging.getLogger(__name__)

SESSION_COOKIE = "__session"
# RFC 9110's safe methods, as Django's CsrfViewMiddleware lists them: never refused for where they come from.
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
# Sec-Fetch-Site values that say another origin's page made the request (W3C Fetch Metadata Request Headers).
# "none" (the user's own navigation) and values unknown today prove nothing either way.
OTHER_ORIGIN_FETCH_SITES = ("same-site", "cross-site")


def session_token(request: HttpRequest) -> tuple[str, bool] | None:
    """The token and whether it came from a cookie; None when the request carries no Clerk credentials.

    An Authorization header wins over the cookie. Its scheme is matched without regard to case (RFC 9110), so a
    lower-case ``bearer`` works; other schemes are left to other authenticators.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return credentials.strip(), False
    cookie = session_cookie(request)
    return (cookie, True) if cookie else None


def is_session_cookie(name: str) -> bool:
    """Clerk's session cookie: ``__session``, or ``__session_<suffix>`` in multi-app setups."""
    return name == SESSION_COOKIE or name.startswith(SESSION_COOKIE + "_")


def session_cookie(request: HttpRequest) -> str | None:
    """The token in Clerk's session cookie, if the request carries one."""
    for name, value in request.COOKIES.items():
        if is_session_cookie(name) and value:
            return value
    return None


class ClerkAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, SessionClaims] | None:
        found = session_token(request._request)
        if found is None:
            return None
        token, from_cookie = found
        if not token:
            raise exceptions.AuthenticationFailed("Empty bearer token")
        try:
            session = verify_session_token(token)
        except TokenError as exc:
            raise exceptions.AuthenticationFailed(exc.reason) from None
        except VerificationUnavailable as exc:
            logger.error("Clerk session tokens cannot be verified: %s", exc)
            raise UnavailableError("Sign-in is not available right now") from None
        if from_cookie:
            # A cookie is sent by the browser on its own: an unsafe method must prove it comes from our pages.
            self._enforce_csrf(request)
        try:
            user = user_get_or_create_for_session(clerk_user_id=session.user_id)
        except UserDeleted:
            raise exceptions.AuthenticationFailed("User account was deleted") from None
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User account is disabled")
        return user, session

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Bearer realm="api"'

    @staticmethod
    def _enforce_csrf(request: Request) -> None:
        """Refuse (403) an unsafe method signed in by the cookie unless the browser shows that our own origin sent
        it, or it carries Django's CSRF token (see the module's docstring for why each rule)."""
        django_request = request._request
        # Django's test client asks for no CSRF checks unless a test enforces them (enforce_csrf_checks=True), and
        # Django honours that before it looks at Origin: so does this, for the same tests to mean the same thing.
        if django_request.method in SAFE_METHODS or getattr(django_request, "_dont_enforce_csrf_checks", False):
            return
        check = CSRFCheck(lambda _request: None)
        origin = django_request.headers.get("Origin")
        if origin is not None:
            # Django's own comparison (CsrfViewMiddleware._origin_verified: private, so accounts/tests/test_csrf.py
            # pins what it must do, and a Django upgrade that changes it fails there): this site's scheme and host as
            # the request sees them (behind the proxy too), or one of CSRF_TRUSTED_ORIGINS.
            if check._origin_verified(django_request):
                return
            logger.warning(
                "Refused a cookie-authenticated %s %s from origin %r: this site is %r and it is not in "
                "CSRF_TRUSTED_ORIGINS",
                django_request.method,
                django_request.path,
                origin[:200],
                _site_origin(django_request),
            )
            raise exceptions.PermissionDenied(
                f"CSRF failed: Origin checking failed - {origin[:200]} does not match any trusted origins."
            )
        fetch_site = django_request.headers.get("Sec-Fetch-Site", "").strip().lower()
        if fetch_site == "same-origin":
            return
        if fetch_site in OTHER_ORIGIN_FETCH_SITES:
            raise exceptions.PermissionDenied(
                f"CSRF failed: the browser says this request is {fetch_site} (Sec-Fetch-Site) and it has no trusted "
                "Origin."
            )
        # Nothing proves where it comes from: Django's CSRF token (and, over HTTPS, Referer) as for any form.
        check.process_request(django_request)
        reason = check.process_view(django_request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(
                f"CSRF failed: {reason} A write signed in by the session cookie needs a same-origin Origin or "
                "Sec-Fetch-Site header (sent by browsers), or the CSRF token."
            )


def _site_origin(request: HttpRequest) -> str:
    """This site's origin as Django sees the request (for the log line that helps find a proxy set up wrongly)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        host = "(a host not in ALLOWED_HOSTS)"
    return f"{'https' if request.is_secure() else 'http'}://{host}"
