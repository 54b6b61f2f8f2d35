"""The widget's public routes: the requests that any website may make, because the widget makes them from
customers' pages. ``settings.PUBLIC_WIDGET_ROUTES`` names them (URL names, each with the methods the widget uses).

They are the only ones that answer any origin (django-cors-headers' per-request hook, connected in apps.py); every
other route under /api/ answers only ``CORS_ALLOWED_ORIGINS`` (the frontend). The rule is per method: a path the
widget calls with one method can serve the owner with another (``GET /api/bots/status/<uuid>`` is the widget's,
``PATCH`` the owner's; ``POST /api/analytics/sessions`` the widget's, ``GET`` the owner's report), and a page on
another origin must not be able to read or send the owner's requests there. A preflight (``OPTIONS`` with
``Access-Control-Request-Method``) is judged by the method it asks about.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve


def requested_method(request: HttpRequest) -> str:
    """The method a request is about: the one a preflight asks for, GET for HEAD, else its own."""
    method = request.method or ""
    if method == "OPTIONS" and "access-control-request-method" in request.headers:
        return request.headers["access-control-request-method"].strip().upper()
    return "GET" if method == "HEAD" else method


def url_name(request: HttpRequest) -> str | None:
    """The URL name of the route a request goes to (resolved here when the handler has not resolved it yet, as in
    middleware), None for a path that names none."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None
    return match.url_name


def is_public_widget_request(request: HttpRequest) -> bool:
    """Whether the request is one of the widget's: its route and method are in ``PUBLIC_WIDGET_ROUTES``. A plain
    ``OPTIONS`` (not a preflight) of a public route is one too: it only describes the route."""
    if not request.path_info.startswith("/api/"):
        return False
    methods = settings.PUBLIC_WIDGET_ROUTES.get(url_name(request))
    if not methods:
        return False
    method = requested_method(request)
    return method in methods or method == "OPTIONS"


def allow_public_widget_routes(sender, request: HttpRequest, **kwargs) -> bool:
    """django-cors-headers' ``check_request_enabled`` hook: any origin for the widget's requests, as the original
    answered on its public routes."""
    return is_public_widget_request(request)
