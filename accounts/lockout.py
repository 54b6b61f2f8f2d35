"""Password sign-in lockout, by django-axes (settings: "Sign-in lockout"): what a locked-out visitor sees, and what
a successful sign-in forgets.

Only Django's password forms are concerned: the local ``/sign-in`` form (used when Clerk is not configured) and the
admin's login, both through ``django.contrib.auth.authenticate``. Clerk's sign-in has no password here (its tokens
are verified, never ``authenticate``d), and no route under /api/ takes a password.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from axes.utils import reset
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from common.errors import is_api_request, json_error
from common.network import client_network

MESSAGE = "Too many failed sign-in attempts"


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with Retry-After, in the admin's layout on its login, the product's elsewhere.
    The page does not say whether the account or the address is locked (nor so whether the account exists)."""
    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 0
    minutes = max(1, round(seconds / 60))
    if is_api_request(request):  # nothing under /api/ signs in with a password; were it to, the API's envelope
        response = json_error(429, MESSAGE, retryAfter=seconds)
    elif request.path.startswith(reverse("admin:index")):
        context = {**admin.site.each_context(request), "title": "Sign-in paused", "minutes": minutes}
        response = render(request, "admin/locked_out.html", context, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


def forget_failures_of_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """On ``user_logged_in``: the failures recorded for this account from this client address are forgotten (a
    user who mistyped, then got in, starts again from zero). Failures from other addresses, and this address's
    failures for other accounts, still count: see AXES_RESET_ON_SUCCESS in settings."""
    address = client_network(request) if request is not None else None
    if address is None:
        return  # resetting by the account alone would forget a guesser's failures too
    reset(ip=address, username=user.get_username())
