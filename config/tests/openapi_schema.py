"""What the schema-driven tests (test_fuzz.py, test_conformance.py) share: the schema /api/schema/ serves, loaded
into schemathesis with the Django application to send requests to, and the real rows their requests may name."""

from __future__ import annotations

import json
from collections.abc import Callable

import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

VAPI_SECRET = "fuzz-vapi-secret-0123456789"


def hypothesis_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,  # no example database: the same cases on every run
    )


# The analytics reports take a time zone, an enum of every IANA zone name (about 600): schemathesis' coverage phase
# sends each value of an enum, some 4,000 report requests (four minutes here). The schema-driven tests give these
# operations the generated phases only (positive and negative cases, bounds included), every other operation the
# coverage phase too (boundary values, each enum value, missing required parameters, unexpected methods).
REPORTS = {"path_regex": "^/api/analytics/(overview|bots|calls|calls/export|logs|sessions)$", "method": "GET"}
WITHOUT_COVERAGE = {"phases": {"coverage": {"enabled": False}}}


class Seeded:
    """Rows that generated requests may name: filled in by the ``api_data`` fixture (conftest.py), read by hooks."""

    values: dict[str, list[str]] = {}


def served_spec() -> dict:
    """The schema /api/schema/ serves, built as drf-spectacular builds it for that route (no request needed)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def load_schema(
    *, wsgi_middleware: Callable | None = None, config: dict | None = None, **hooks: Callable
) -> schemathesis.schemas.BaseSchema:
    """The served schema in schemathesis (with ``config``, schemathesis' own settings), sending its requests in
    process to the Django application."""
    loaded = schemathesis.openapi.from_dict(served_spec(), config=SchemathesisConfig.from_dict(config or {}))
    application = get_wsgi_application()
    loaded.app = wsgi_middleware(application) if wsgi_middleware else application
    for name, hook in hooks.items():
        loaded.hooks.hook(name)(hook)
    return loaded


class Credentials:
    """How the owner signs a request in. Schemathesis writes the credentials into a case when it generates it
    (at collection, for its coverage phase), before any test key or user exists, and session tokens last a
    minute: cases carry ``PLACEHOLDER``, which ``in_process`` replaces with ``mint()`` (set by the test's fixture),
    a fresh token, as each request goes out."""

    PLACEHOLDER = "owner-session"
    mint: Callable[[], str] | None = None


def in_process(application, *, sent: list[str]):
    """The WSGI application as the requests of the schema's cases reach it: counted in ``sent``, and signed in
    with a fresh token where a case carries the owner's placeholder."""

    def call(environ, start_response):
        sent.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        if environ.get("HTTP_AUTHORIZATION") == f"Bearer {Credentials.PLACEHOLDER}" and Credentials.mint:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {Credentials.mint()}"
        return application(environ, start_response)

    return call


def sign_in(loaded: schemathesis.schemas.BaseSchema) -> schemathesis.schemas.BaseSchema:
    """Every request of ``loaded`` carries the owner's credentials, through schemathesis' auth provider: so it knows
    the token is ours (``ignored_auth`` then probes without it and with a wrong one), and a generated header the
    credentials replace does not count as sent. A 401 is an answer to check, not a reason to sign in again."""

    @loaded.auth(refresh_interval=None, retry_on=[])
    class ClerkSession:
        def get(self, case, ctx) -> str:
            return Credentials.PLACEHOLDER

        def set(self, case, data: str, ctx) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}", "x-vapi-secret": VAPI_SECRET}

    return loaded
