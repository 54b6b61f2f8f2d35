"""Signing in to the pages (the dashboard), as opposed to the API.

Two ways, decided by ``CLERK_PUBLISHABLE_KEY``:

- With Clerk: the sign-in page mounts Clerk's hosted ``<SignIn>`` component (Clerk's own script, from the Frontend
  API the publishable key names). Clerk then keeps a short-lived session token in the ``__session`` cookie, which
  ``ClerkPageAuthenticationMiddleware`` verifies on every page request exactly as the API does
  (``accounts.tokens.verify_session_token``, then ``user_get_or_create_for_session``: same checks, same user sync).
  Nothing is stored in Django's session: signing out of Clerk signs out of the pages.
- Without Clerk (local use): Django's login form, for staff and for users given a password with
  ``manage.py dev_token <email> --password``.

A token that expired (Clerk refreshes it every minute in the browser, so a page opened after a pause often
carries a stale one) is simply not a sign-in: the visitor lands on the sign-in page, where Clerk's script refreshes
the cookie and sends them back to ``next``. Any other refusal (wrong origin, wrong issuer) is shown there instead,
so that the page cannot loop.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.authentication import is_session_cookie, session_cookie
from accounts.models import User
from accounts.services import UserDeleted, user_get_or_create_for_session
from accounts.tokens import TokenError, VerificationUnavailable, verify_session_token
from common.errors import is_api_request

logger = logging.getLogger(__name__)

# Clerk's browser SDK, major version 5, from the instance's own Frontend API (Clerk's documented script tag).
CLERK_JS_PATH = "/npm/@clerk/clerk-js@5/dist/clerk.browser.js"


def clerk_frontend_api(publishable_key: str) -> str:
    """The Frontend API host a publishable key names: ``pk_test_`` / ``pk_live_`` then base64 of ``<host>$``.
    Empty for anything else (a key pasted wrongly must not become a script URL)."""
    kind, _, rest = publishable_key.partition("_")
    instance, _, encoded = rest.partition("_")
    if kind != "pk" or instance not in ("test", "live") or not encoded:
        return ""
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    host = decoded.removesuffix("$")
    if not decoded.endswith("$") or not host or not all(c.isalnum() or c in ".-" for c in host):
        return ""
    return host


def clerk_enabled() -> bool:
    return bool(clerk_frontend_api(settings.CLERK_PUBLISHABLE_KEY))


def sign_in_context(request: HttpRequest) -> dict[str, Any]:
    """Template context for every page: whether Clerk signs users in, and where its script comes from."""
    host = clerk_frontend_api(settings.CLERK_PUBLISHABLE_KEY)
    if not host:
        return {"clerk": None}
    return {
        "clerk": {
            "publishable_key": settings.CLERK_PUBLISHABLE_KEY,
            "script_url": f"https://{host}{CLERK_JS_PATH}",
        }
    }


def clerk_page_user(request: HttpRequest) -> User | None:
    """The user a page request's ``__session`` cookie names, or None. Sets ``request.clerk_refusal`` to why a
    token that is present was refused (for the sign-in page to say), "expired" being no refusal."""
    token = session_cookie(request)
    if token is None:
        return None
    try:
        session = verify_session_token(token)
    except TokenError as exc:
        if exc.reason != "Token expired":
            request.clerk_refusal = exc.reason
        return None
    except VerificationUnavailable as exc:
        logger.error("Clerk session tokens cannot be verified: %s", exc)
        request.clerk_refusal = "Sign-in is not available right now"
        return None
    try:
        user = user_get_or_create_for_session(clerk_user_id=session.user_id)
    except UserDeleted:
        request.clerk_refusal = "User account was deleted"
        return None
    if not user.is_active:
        request.clerk_refusal = "User account is disabled"
        return None
    return user


class ClerkPageAuthenticationMiddleware:
    """After Django's AuthenticationMiddleware: a page request that Django's session does not sign in, and that
    carries a Clerk ``__session`` cookie, is signed in by that cookie. Under ``/api/`` DRF authenticates (the same
    verification, in ``ClerkAuthentication``), so nothing is done twice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_request(request) and session_cookie(request) is not None:
            django_user = request.user
            request.clerk_refusal = None

            def user() -> Any:
                if django_user.is_authenticated:
                    return django_user
                return clerk_page_user(request) or django_user

            request.user = SimpleLazyObject(user)
        return self.get_response(request)


def _htmx_to_sign_in(request: HttpRequest) -> HttpResponse | None:
    """An anonymous htmx request (a poll or a filter after the session ended) sends the whole page to the sign-in
    page (``HX-Redirect``), to come back to the page it was made from, instead of the sign-in page being swapped
    into a fragment. None for every other request."""
    if request.htmx and not request.user.is_authenticated:
        back = request.htmx.current_url_abs_path or resolve_url(settings.LOGIN_REDIRECT_URL)
        return HttpResponseClientRedirect(auth_views.redirect_to_login(back).url)
    return None


def page_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``login_required`` for the dashboard's views and partials (anonymous: to ``/sign-in?next=…``)."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _htmx_to_sign_in(request) or protected(request, *args, **kwargs)

    return wrapper


class PageLoginRequiredMixin(LoginRequiredMixin):
    """``page_login_required`` for class-based views."""

    def handle_no_permission(self) -> HttpResponse:
        return _htmx_to_sign_in(self.request) or super().handle_no_permission()


class SignInView(auth_views.LoginView):
    """``/sign-in``: Clerk's component when Clerk is configured, Django's login form otherwise. Either way a
    signed-in visitor goes on to ``next`` (a local path only) or the dashboard."""

    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["clerk_refusal"] = getattr(self.request, "clerk_refusal", None)
        context["after_sign_in"] = self.get_success_url()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if clerk_enabled():
            # Passwords are Clerk's business then: this form is not offered, and not accepted either.
            return redirect(request.get_full_path())
        return super().post(request, *args, **kwargs)


def sign_up(request: HttpRequest) -> HttpResponse:
    """``/sign-up``: Clerk's ``<SignUp>`` component; without Clerk, how to get a local account."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/sign_up.html")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """``POST /sign-out``: ends Django's session and drops Clerk's cookie here (the page's script has already
    asked Clerk to end its session when Clerk is configured)."""
    logout(request)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    for name in request.COOKIES:
        if is_session_cookie(name):
            response.delete_cookie(name)
    return response
