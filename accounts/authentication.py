"""DRF authentication with Clerk session tokens: ``Authorization: Bearer <jwt>`` from the frontend and API
clients, or the ``__session`` cookie (``__session_<suffix>`` too) that Clerk sets for same-site pages."""

from __future__ import annotations

import logging

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
            # A cookie is sent by the browser on its own: unsafe methods need the CSRF token too.
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
        check = CSRFCheck(lambda _request: None)
        check.process_request(request._request)
        reason = check.process_view(request._request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF failed: {reason}")
