"""Prometheus metrics: what the web processes served, how fast, how often they failed, how many queries each
request cost; and Celery task outcomes. Exposed at ``GET /metrics`` (Prometheus' default path, outside ``/api/``
so that it is neither part of the public API's contract nor of its OpenAPI schema) to callers that hold
``METRICS_TOKEN`` or come from ``METRICS_ALLOWED_IPS``; with neither configured the route does not exist (404).

Labels never carry what a caller chose: the route is the URL pattern that matched (``/api/bots/{uuid}``, never
the uuid), ``<unmatched>`` when none did (404s, static files), and an unknown HTTP method counts as ``other``. So
the number of series is bounded by the code, not by the traffic.

Several gunicorn workers: each is its own process with its own counters. With ``PROMETHEUS_MULTIPROC_DIR`` set
(an empty directory, before the processes start) prometheus_client keeps every process's values in files there,
and each scrape, whichever worker answers it, adds up all of them; gunicorn's hooks (``gunicorn_hooks``) empty the
directory when gunicorn starts. Without it (one process: runserver, a single worker) the values are in memory.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from common.errors import json_error
from config.monitoring.access import Access, metrics_access

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_DIR_VARIABLE):
    # prometheus_client writes its files there from the first sample on; a process started before gunicorn
    # created the directory (a Celery worker, a management command) must not fail on it.
    os.makedirs(os.environ[MULTIPROC_DIR_VARIABLE], exist_ok=True)

UNMATCHED_ROUTE = "<unmatched>"
OTHER_METHOD = "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "voicebot_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
SERVER_ERRORS = Counter(
    "voicebot_http_server_errors",
    "HTTP requests answered with a 5xx status, by method and route template (error rate: divide by requests).",
    ["method", "route"],
)
LATENCY = Histogram(
    "voicebot_http_request_duration_seconds",
    "Time from the request reaching Django to its response leaving it (a streamed body's own time excluded).",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
QUERIES = Histogram(
    "voicebot_http_request_db_queries",
    "Database queries run while serving one request, by method and route template.",
    ["method", "route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100, 200),
)
TASKS = Counter(
    "voicebot_celery_tasks",
    "Celery tasks finished, by task name and outcome (Celery's state: SUCCESS, FAILURE, RETRY, …).",
    ["task", "outcome"],
)


# --- Labels ---------------------------------------------------------------------------------------------------


def _replace_named_groups(pattern: str) -> str:
    """``(?P<uuid>[^/.]+)`` -> ``{uuid}``, with nested parentheses inside the group skipped over."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("(?P<", index):
            name_end = pattern.index(">", index)
            name = pattern[index + 4 : name_end]
            depth, index = 1, name_end + 1
            while index < len(pattern) and depth:
                if pattern[index] == "\\":
                    index += 1
                elif pattern[index] == "(":
                    depth += 1
                elif pattern[index] == ")":
                    depth -= 1
                index += 1
            out.append(f"{{{name}}}")
        else:
            out.append(pattern[index])
            index += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def route_template(route: str) -> str:
    """A URL pattern as a readable template: ``api/bots/<str:uuid>/files`` -> ``/api/bots/{uuid}/files``,
    ``^api/bots/(?P<uuid>[^/.]+)$`` -> ``/api/bots/{uuid}``; a regex without ``$`` matches a prefix:
    ``^api/`` -> ``/api/*``. Cached: the patterns are the code's, a few dozen."""
    template = _replace_named_groups(route)  # regex groups first: their "<name>" looks like a converter
    template = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", template)
    open_ended = False
    if route.startswith("^") or "$" in route:
        open_ended = not template.endswith("$")
        template = template.replace("^", "").replace("$", "").replace("\\", "")
    template = "/" + template.lstrip("/")
    return template + "*" if open_ended else template


def route_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return route_template(match.route)


def method_label(method: str | None) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


# --- Recording ------------------------------------------------------------------------------------------------


class _QueryCounter:
    """Counts the queries run on every database connection of this thread (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class MetricsMiddleware:
    """Second in MIDDLEWARE (after the request id): the time and queries of everything below it, and the final
    status, after every other middleware has had its say (a 500 turned into JSON, a redirect to HTTPS)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        counter = _QueryCounter()
        started = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(counter))
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        record_request(request.method, route_label(request), response.status_code, elapsed, counter.count)
        return response


def record_request(method: str | None, route: str, status: int, seconds: float, queries: int) -> None:
    method = method_label(method)
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    QUERIES.labels(method, route).observe(queries)
    if status >= 500:
        SERVER_ERRORS.labels(method, route).inc()


def record_task(task_name: str, outcome: str) -> None:
    TASKS.labels(task_name, outcome).inc()


# --- Exposition -----------------------------------------------------------------------------------------------


def scrape_registry() -> CollectorRegistry:
    """All worker processes' values when ``PROMETHEUS_MULTIPROC_DIR`` is set (a registry per scrape, as
    prometheus_client's documentation prescribes); this process's own, with its process metrics, otherwise."""
    if os.environ.get(MULTIPROC_DIR_VARIABLE):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


@csrf_exempt  # reads only; a scraper has no CSRF token, and the answer to a POST is a 405 of our own
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics``: the Prometheus text format (OpenMetrics when the scraper asks for it), never cached.

    Without a valid bearer token or an allowed address: 401 when a token is configured (the answer says how to
    authenticate), 403 when only an allow-list is. 404 when neither is configured: the route is off."""
    access = metrics_access(request, token=settings.METRICS_TOKEN, allowed_ips=settings.METRICS_ALLOWED_IPS)
    if access is Access.DISABLED:
        raise Http404("Metrics are disabled")
    if access is Access.UNAUTHENTICATED:
        response = json_error(401, "Unauthorized")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    elif access is Access.DENIED:
        response = json_error(403, "Forbidden")
    elif request.method not in ("GET", "HEAD"):
        response = json_error(405, "Method not allowed")
        response["Allow"] = "GET, HEAD"
    else:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        response = HttpResponse(encoder(scrape_registry()), content_type=content_type)
    add_never_cache_headers(response)
    return response
