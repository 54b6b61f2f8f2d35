"""The permission matrix (issue 14): every route the URL resolver knows, with every method it serves, is called as
nobody, as another signed-in user with data of their own, and as the owner (NetBox's generic API test cases, made
impossible to forget). A route, or a method of one, without an entry in ``MATRIX`` fails the suite; so does an
entry that names no route.

Kinds of entries:

- ``owner``: the signed-in user's data. Anonymous: 401 with the error envelope under ``/api/``, the sign-in page
  otherwise. The stranger: 404 where the request names one of the owner's rows (never 403, never the row), or, on
  a collection (lists, reports, create), the stranger's own answer with none of the owner's data in it. Neither
  request changes any of the owner's rows. The owner, last (a DELETE still finds its row): the success status.
- ``public``: anyone gets the same status (a signed-in visitor may be sent on from the sign-in pages), and nobody
  but the owner sees anything owner-only (the system prompt, the owner's identity, files, transcripts, ...).
- ``machine``: VAPI's and Clerk's calls. Refused without the shared secret or signature (also to a signed-in user,
  and with a wrong one), 503 when the secret is not configured, accepted with it.
- ``ops``: health, readiness, the schema and its docs (public), ``/metrics`` (a bearer token, as a machine).

There is no ``staff`` route outside the Django admin, which is left out: staff-only, it is covered by the admin
smoke tests (accounts/tests/admin_smoke.py and each app's test_admin.py).

``pytest -s config/tests/test_permission_matrix.py`` prints the number of routes x methods covered.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.views import static
from rest_framework.test import APIClient
from svix.webhooks import Webhook

from config.monitoring.metrics import route_template

ANONYMOUS_API = {"success": False, "error": "Unauthorized"}
SIGN_IN = "/sign-in?next="
HTMX = {"HX-Request": "true"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OWN = "own"  # the stranger's answer on a collection: the entry's status, with the stranger's data only

VAPI_SECRET = "matrix-vapi-secret-0123456789"
CLERK_SECRET = "whsec_" + "bWF0cml4LWNsZXJrLXdlYmhvb2stc2VjcmV0LTMyYiE="
WRONG_CLERK_SECRET = "whsec_" + "d3JvbmctY2xlcmstc2VjcmV0LTMyLWJ5dGVzISEhIQ=="
METRICS_TOKEN = "matrix-metrics-token-0123456789"


# --- The routes, as the URL resolver has them ----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    template: str  # "/api/bots/{uuid}/files": config.monitoring.metrics.route_template, as in the metrics' labels
    name: str | None
    callback: Callable
    methods: tuple[str, ...] | None  # DRF views: the methods they serve; plain Django views: None (see MATRIX)


def _served_methods(callback: Callable) -> tuple[str, ...] | None:
    """A DRF view's methods: a viewset's actions, an APIView's handlers, both within its http_method_names (the
    bot viewset's router maps PUT, which the viewset does not serve). HEAD (GET without a body) and OPTIONS (DRF's
    metadata, behind the same authentication and permissions) are not entries. A plain Django view (function or
    django.views.View) cannot say which methods its decorators let through: the table lists them, and
    test_no_route_serves_a_method_the_matrix_does_not_list checks that the others are refused."""
    view = getattr(callback, "cls", None)
    if view is None:
        return None
    allowed = {method for method in view.http_method_names if method not in ("head", "options")}
    actions = getattr(callback, "actions", None)
    handlers = actions.keys() if actions else [method for method in allowed if hasattr(view, method)]
    return tuple(sorted(method.upper() for method in handlers if method in allowed))


def _walk(patterns, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the Django admin: staff-only, covered by the admin smoke tests (module docstring)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def application_routes() -> list[Route]:
    """Every route of the application, from the URL resolver; static and media serving, if ever routed, are not
    the application's."""
    routes = []
    for pattern_string, pattern in _walk(get_resolver().url_patterns):
        if pattern.callback is static.serve:
            continue
        routes.append(
            Route(
                template=route_template(pattern_string),
                name=pattern.name,
                callback=pattern.callback,
                methods=_served_methods(pattern.callback),
            )
        )
    return routes


# --- The data: the owner's and a stranger's ------------------------------------------------------------------------


@dataclass
class World:
    owner: Any
    stranger: Any
    bot: Any
    document: Any
    session: Any
    call: Any
    stranger_bot: Any

    @property
    def values(self) -> dict[str, str]:
        """What fills a route's template: the owner's real rows."""
        return {
            "uuid": self.bot.uuid,
            "document_id": self.document.pk,
            "filename": self.document.name,
            "session_id": self.session.session_id,
            "vapi_call_id": self.call.vapi_call_id,
        }

    @property
    def private(self) -> dict[str, str]:
        """What only the owner may ever see: no public answer carries it."""
        return {
            "owner id": self.owner.pk,
            "owner email": self.owner.email,
            "system prompt": self.bot.system_prompt,
            "activation error": "OWNER-ACTIVATION-ERROR",
            "document name": self.document.name,
            "document text": "OWNER-DOCUMENT-TEXT",
            "stored file": "OWNER-FILE-CONTENT",
            "call id": self.call.vapi_call_id,
            "transcript": "OWNER-TRANSCRIPT",
            "session id": self.session.session_id,
        }

    @property
    def owners(self) -> dict[str, str]:
        """All of the owner's data: none of it reaches the stranger."""
        return {"bot uuid": self.bot.uuid, "bot name": self.bot.name, **self.private}

    def snapshot(self) -> dict[str, list]:
        """The owner's rows as stored: a refused request changes none of them."""
        from analytics.models import Call, Session
        from bots.models import Bot
        from documents.models import Document

        return {
            "bots": list(Bot.objects.filter(user=self.owner).order_by("pk").values()),
            "documents": list(Document.objects.filter(bot__user=self.owner).order_by("pk").values()),
            "sessions": list(Session.objects.filter(user=self.owner).order_by("pk").values()),
            "calls": list(Call.objects.filter(user=self.owner).order_by("pk").values()),
        }


def _seed(owner, *, tag: str):
    from analytics.tests.factories import CallFactory, SessionFactory
    from bots.tests.factories import BotFactory
    from documents.tests.factories import DocumentFactory

    upper = tag.upper()
    bot = BotFactory(
        user=owner,
        active=True,
        rag_enabled=True,
        rag_source_type="FILES",
        name=f"{tag.title()} matrix bot",
        system_prompt=f"{upper}-SYSTEM-PROMPT: you answer for {tag}.",
        vapi_assistant_id=f"asst_{tag}_matrix",
    )
    document = DocumentFactory(
        bot=bot, name=f"{tag}-faq.txt", content=f"Opening hours are nine to five. {upper}-DOCUMENT-TEXT"
    )
    default_storage.save(document.file_path, ContentFile(f"Opening hours: nine to five. {upper}-FILE-CONTENT"))
    session = SessionFactory(bot=bot, end_time=None)  # open: the widget may still report on it
    call = CallFactory(
        bot=bot,
        vapi_call_id=f"call_{tag}_matrix",
        transcript=f"AI: Hello!\nUser: When are you open? {upper}-TRANSCRIPT",
    )
    return bot, document, session, call


@pytest.fixture
def world(db, settings, tmp_path) -> World:
    from accounts.tests.factories import UserFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.VAPI_WEBHOOK_SECRET = VAPI_SECRET
    settings.VAPI_PUBLIC_KEY = "matrix-public-key"
    settings.CLERK_WEBHOOK_SECRET = CLERK_SECRET
    settings.METRICS_TOKEN = METRICS_TOKEN
    settings.METRICS_ALLOWED_IPS = []
    settings.CELERY_BROKER_URL = ""  # readiness: no broker to reach (config/tests/test_readiness.py checks one)

    owner = UserFactory(id="user_matrixowner", email="owner.matrix@example.com")
    stranger = UserFactory(id="user_matrixstranger", email="stranger.matrix@example.com")
    bot, document, session, call = _seed(owner, tag="owner")
    stranger_bot, *_ = _seed(stranger, tag="stranger")  # the stranger has data of their own
    return World(owner, stranger, bot, document, session, call, stranger_bot)


# --- Entries -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """A caller that proves itself with a secret (``setting``) sent as headers made by ``sign``."""

    setting: str
    secret: str
    wrong_secret: str
    sign: Callable[[str, str], dict[str, str]]  # (secret, body) -> headers
    refused: int  # without the secret, or with a wrong one
    unconfigured: int  # the setting empty


@dataclass(frozen=True)
class Entry:
    kind: str  # owner | public | machine | ops
    status: int  # the owner's (owner), anyone's (public, ops), the machine's with its secret (machine)
    stranger: int | str = 404  # owner: 404, or OWN on a collection
    shows: str | None = None  # which of World.owners the owner's answer shows (and no one else's): the check bites
    signed_in: int | None = None  # public: a signed-in visitor's status, when it is not ``status``
    machine: Machine | None = None
    body: Callable[[World], Any] | None = None
    format: str | None = None  # "json", "multipart" (DRF test client formats) or "raw" (a JSON string, as sent)
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    path: str | None = None  # instead of the template (catch-all routes), filled in the same way
    prepare: Callable[[World], None] | None = None  # puts the owner's rows in the state the request needs
    xfail: str | None = None


def owner(status: int = 200, **options) -> Entry:
    return Entry("owner", status, **options)


def collection(status: int = 200, **options) -> Entry:
    return Entry("owner", status, stranger=OWN, **options)


def public(status: int = 200, **options) -> Entry:
    return Entry("public", status, **options)


def machine(status: int, machine: Machine, body: Callable[[World], str], **options) -> Entry:
    return Entry("machine", status, machine=machine, body=body, format="raw", **options)


def ops(status: int = 200, **options) -> Entry:
    return Entry("ops", status, **options)


def _vapi_headers(secret: str, body: str) -> dict[str, str]:
    """The owner's bot's own secret under the key ``secret`` (bots/vapi.py: the key itself is no bot's secret)."""
    from bots.models import Bot
    from bots.vapi import bot_secret

    uuid = Bot.objects.filter(user_id="user_matrixowner").order_by("created_at").values_list("uuid", flat=True)[0]
    return {"x-vapi-secret": bot_secret(uuid, secret)}


def _svix_headers(secret: str, body: str) -> dict[str, str]:
    msg_id = f"msg_{secrets.token_hex(8)}"
    now = datetime.datetime.now(tz=datetime.UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, now, body),
    }


def _bearer(secret: str, body: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


VAPI = Machine("VAPI_WEBHOOK_SECRET", VAPI_SECRET, "wrong-vapi-secret-0123456789", _vapi_headers, 401, 503)
CLERK = Machine("CLERK_WEBHOOK_SECRET", CLERK_SECRET, WRONG_CLERK_SECRET, _svix_headers, 400, 503)
METRICS = Machine("METRICS_TOKEN", METRICS_TOKEN, "wrong-metrics-token-0123456789", _bearer, 401, 404)


def _set(**fields) -> Callable[[World], None]:
    def prepare(world: World) -> None:
        for name, value in fields.items():
            setattr(world.bot, name, value)
        world.bot.save()

    return prepare


def _failed_document(world: World) -> None:
    world.document.status = "FAILED"
    world.document.save()


def _bot_json(world: World) -> dict:
    return {"name": "Matrix created bot", "welcomeMessage": "Hi there", "systemPrompt": "Be brief."}


def _bot_form(world: World) -> dict:
    return {
        "name": "Matrix form bot",
        "welcome_message": "Hi there",
        "system_prompt": "Be brief.",
        "language": "en",
        "voice": "jennifer",
        "position": "right",
        "theme": "light",
        "rag_source_type": "files",
    }


def _legacy_create(world: World) -> dict:
    config = {"botName": "Matrix legacy bot", "welcomeMessage": "Hi there", "systemPrompt": "Be brief."}
    return {"config": json.dumps(config)}


def _text_file(name: str = "matrix-notes.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"We open at nine.\n", content_type="text/plain")


def _vapi_status_update(world: World) -> str:
    return json.dumps({"message": {"type": "conversation-update", "messages": []}})


def _knowledge_request(world: World) -> str:
    message = {
        "type": "knowledge-base-request",
        "call": {"assistantId": world.bot.vapi_assistant_id},
        "messagesOpenAIFormatted": [{"role": "user", "content": "When are you open?"}],
    }
    return json.dumps({"message": message})


def _clerk_event(world: World) -> str:
    return json.dumps({"object": "event", "type": "session.created", "data": {"id": "sess_matrix"}})


MATRIX: dict[tuple[str, str], Entry] = {
    # --- Operations --------------------------------------------------------------------------------------------
    ("/api/health", "GET"): ops(),
    ("/api/ready", "GET"): ops(),
    ("/metrics", "GET"): Entry("ops", 200, machine=METRICS),
    ("/api/schema/", "GET"): ops(),
    ("/api/docs/", "GET"): ops(),
    # --- Accounts ----------------------------------------------------------------------------------------------
    ("/api/me", "GET"): collection(shows="owner email"),
    ("/api/webhooks/clerk", "POST"): machine(200, CLERK, _clerk_event),
    ("/sign-in", "GET"): public(200, signed_in=302),
    ("/sign-in", "POST"): public(
        200, signed_in=302, body=lambda w: {"username": "nobody@example.com", "password": "wrong"}, format="multipart"
    ),
    ("/sign-up", "GET"): public(200, signed_in=302),
    ("/sign-out", "POST"): public(302),
    # --- Bots: the legacy routes -------------------------------------------------------------------------------
    ("/api/bots/create", "GET"): collection(shows="bot uuid"),
    ("/api/bots/create", "POST"): collection(body=_legacy_create, format="multipart"),
    ("/api/bots/list", "GET"): collection(shows="bot uuid"),
    # Public: the widget asks it. A failed bot's reason is its owner's only.
    ("/api/bots/status/{uuid}", "GET"): public(
        prepare=_set(status="FAILED", activation_error="OWNER-ACTIVATION-ERROR"), shows="activation error"
    ),
    ("/api/bots/status/{uuid}", "PATCH"): owner(body=lambda w: {"vapiAssistantId": "asst_linked"}, format="json"),
    ("/api/admin/activate-bot", "GET"): collection(shows="bot uuid"),
    # The bot is named in the body, not the path: still the stranger's 404.
    ("/api/admin/activate-bot", "POST"): owner(
        body=lambda w: {"botUuid": w.bot.uuid, "action": "deactivate"}, format="json"
    ),
    ("/api/config", "GET"): public(),
    # --- Bots: the REST resource -------------------------------------------------------------------------------
    ("/api/bots", "GET"): collection(shows="bot uuid"),
    ("/api/bots", "POST"): collection(201, body=_bot_json, format="json"),
    ("/api/bots/{uuid}", "GET"): owner(),
    ("/api/bots/{uuid}", "PATCH"): owner(body=lambda w: {"name": "Renamed by its owner"}, format="json"),
    ("/api/bots/{uuid}", "DELETE"): owner(),
    ("/api/bots/{uuid}/reactivate", "POST"): owner(prepare=_set(status="FAILED")),
    # --- Documents ---------------------------------------------------------------------------------------------
    ("/api/bots/{uuid}/files", "GET"): owner(),
    ("/api/bots/{uuid}/files", "POST"): owner(body=lambda w: {"file_0": _text_file()}, format="multipart"),
    ("/api/bots/{uuid}/files/{filename}", "GET"): owner(),
    ("/api/bots/{uuid}/documents", "GET"): owner(),
    ("/api/bots/{uuid}/documents/{document_id}", "GET"): owner(),
    ("/api/bots/{uuid}/documents/{document_id}", "DELETE"): owner(),
    ("/api/bots/{uuid}/documents/{document_id}/reprocess", "POST"): owner(prepare=_failed_document),
    ("/api/bots/{uuid}/search", "GET"): owner(query="q=hours"),
    ("/api/bots/{uuid}/resync", "POST"): owner(
        202, prepare=_set(rag_source_type="URL", rag_url="https://owner-site.example/")
    ),
    ("/api/vapi/knowledge-base", "POST"): machine(200, VAPI, _knowledge_request),
    # Stored originals are never served directly: 404 to everyone, the owner included.
    ("/api/blocked", "GET"): public(404),
    ("/uploads/*", "GET"): public(404, path="/uploads/{uuid}/{filename}"),
    # --- Analytics: VAPI, the owner's reports, the widget ------------------------------------------------------
    ("/api/vapi/webhook", "POST"): machine(200, VAPI, _vapi_status_update),
    ("/api/analytics/overview", "GET"): collection(shows="bot uuid"),
    ("/api/analytics/bots", "GET"): collection(shows="bot uuid"),
    ("/api/analytics/calls", "GET"): collection(shows="call id"),
    ("/api/analytics/calls/export", "GET"): collection(shows="call id"),
    ("/api/analytics/logs", "GET"): collection(shows="transcript"),
    ("/api/analytics/sessions", "GET"): collection(shows="bot uuid"),
    ("/api/widget/{uuid}/config", "GET"): public(),
    ("/api/analytics/sessions", "POST"): public(body=lambda w: {"botUuid": w.bot.uuid}, format="json"),
    # The session's id (unguessable) is what lets the widget report on it: anyone who has it.
    ("/api/analytics/sessions/{session_id}/interaction", "POST"): public(),
    ("/api/analytics/sessions/{session_id}/end", "POST"): public(),
    ("/api/vapi/navigation", "GET"): public(),
    ("/api/vapi/navigation", "POST"): public(
        body=lambda w: {"url": "https://example.com/pricing", "command": "show prices", "success": True},
        format="json",
    ),
    ("/test-embed", "GET"): public(query="bot={uuid}"),
    # --- Bot pages ---------------------------------------------------------------------------------------------
    ("/", "GET"): public(),
    ("/dashboard", "GET"): collection(shows="bot name"),
    ("/dashboard/bots/new", "GET"): collection(),
    ("/dashboard/bots/new", "POST"): collection(302, body=_bot_form, format="multipart"),
    ("/dashboard/bots/{uuid}", "GET"): owner(),
    ("/dashboard/bots/{uuid}", "POST"): owner(302, body=_bot_form, format="multipart"),
    ("/dashboard/bots/{uuid}/status", "GET"): owner(),
    ("/dashboard/bots/{uuid}/reactivate", "POST"): owner(302, prepare=_set(status="FAILED")),
    ("/dashboard/bots/{uuid}/delete", "GET"): owner(),
    ("/dashboard/bots/{uuid}/delete", "POST"): owner(302),
    # --- Knowledge-base pages ----------------------------------------------------------------------------------
    ("/dashboard/bots/{uuid}/knowledge", "GET"): owner(),
    ("/dashboard/bots/{uuid}/documents", "GET"): owner(),
    ("/dashboard/bots/{uuid}/documents/upload", "POST"): owner(
        302, body=lambda w: {"files": [_text_file()]}, format="multipart"
    ),
    ("/dashboard/bots/{uuid}/resync", "POST"): owner(
        302, prepare=_set(rag_source_type="URL", rag_url="https://owner-site.example/")
    ),
    ("/dashboard/bots/{uuid}/search", "GET"): owner(query="q=hours"),
    ("/dashboard/documents/{document_id}/download", "GET"): owner(),
    ("/dashboard/documents/{document_id}/delete", "POST"): owner(302),
    ("/dashboard/storage", "GET"): collection(),
    # --- Analytics pages ---------------------------------------------------------------------------------------
    ("/dashboard/analytics", "GET"): collection(shows="bot name"),
    ("/dashboard/analytics/calls", "GET"): collection(shows="call id", headers=HTMX),
    ("/dashboard/analytics/calls/{vapi_call_id}", "GET"): owner(),
    ("/dashboard/analytics/sessions", "GET"): collection(headers=HTMX),
    ("/dashboard/analytics/summary", "GET"): collection(),
    # --- Anything else under /api/ -----------------------------------------------------------------------------
    ("/api/*", "GET"): public(404, path="/api/no-such-route"),
}

# Routes that answer every method alike (no method restriction, by design): the rest answer 405 to a method the
# matrix does not list.
ANY_METHOD = {
    "/": "the landing page renders for any method",
    "/sign-in": "Django's LoginView (PUT is its POST; a signed-in visitor is sent on whatever the method)",
    "/sign-up": "a page with no form of its own",
    "/api/blocked": "the original's blocked-uploads answer, a 404 for any method",
    "/uploads/*": "the same 404 for direct access to stored originals",
    "/api/*": "the JSON 404 of every unknown /api/ path",
}

# The number of routes x methods covered when the matrix was written: it only grows.
COVERED_AT_LEAST = 74


# --- Requests ------------------------------------------------------------------------------------------------------


def _client(world: World, who: str, make_token) -> APIClient:
    """``anonymous``, ``stranger`` or ``owner``: the API by bearer token, the pages by Clerk's ``__session``
    cookie (the same token), as the frontend and the browser send them."""
    client = APIClient()
    user = {"anonymous": None, "stranger": world.stranger, "owner": world.owner}[who]
    if user is not None:
        token = make_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        client.cookies["__session"] = token
    return client


def _url(template: str, entry: Entry, world: World) -> str:
    url = (entry.path or template).format(**world.values)
    return f"{url}?{entry.query.format(**world.values)}" if entry.query else url


def _send(client: APIClient, method: str, url: str, entry: Entry, world: World, headers=None, body=None):
    headers = {**entry.headers, **(headers or {})}
    handler = getattr(client, method.lower())
    if body is None and entry.body is not None:
        body = entry.body(world)
    if body is None:
        return handler(url, headers=headers)
    if entry.format == "raw":
        return handler(url, body, content_type="application/json", headers=headers)
    return handler(url, body, format=entry.format, headers=headers)


def _text(response) -> str:
    """The whole answer, with where it redirects to. A streamed file is read to its end, which closes it (the test
    client's wrapper; closing a response here would also close the test's database connection)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return " ".join([content.decode(errors="replace"), response.get("Location", ""), response.get("HX-Redirect", "")])


def _leaks(text: str, markers: dict[str, str], *, asked: str) -> list[str]:
    """The markers found in ``text``, but for those the request itself carried."""
    return [name for name, value in markers.items() if value in text and value not in asked]


def _is_api(template: str) -> bool:
    return template.startswith("/api/")


# --- The tests -----------------------------------------------------------------------------------------------------


def test_every_route_and_method_has_an_entry():
    routes = application_routes()
    served: set[tuple[str, str]] = set()
    listed_by_table: set[str] = set()
    for route in routes:
        if route.methods is None:
            listed_by_table.add(route.template)
        else:
            served.update((route.template, method) for method in route.methods)
    entries = set(MATRIX)

    missing = sorted(served - entries) + sorted(
        (template, "<the methods it serves>")
        for template in listed_by_table
        if not any(key[0] == template for key in entries)
    )
    assert not missing, "Routes without a permission matrix entry (add them to MATRIX):\n" + "\n".join(
        f"  {method} {template}" for template, method in missing
    )
    unknown = sorted(
        key for key in entries if key not in served and not (key[0] in listed_by_table and key[1] in METHODS)
    )
    assert not unknown, "MATRIX entries that name no route or method the application serves:\n" + "\n".join(
        f"  {method} {template}" for template, method in unknown
    )
    assert set(ANY_METHOD) <= {route.template for route in routes}, "ANY_METHOD names a route that is not there"

    covered = len(entries)
    kinds = ", ".join(
        f"{kind} {sum(e.kind == kind for e in MATRIX.values())}" for kind in ("owner", "public", "machine", "ops")
    )
    # The count the acceptance asks for, shown with -s.
    print(f"permission matrix: {covered} routes x methods covered ({len(routes)} routes; {kinds})")  # noqa: T201
    assert covered >= COVERED_AT_LEAST


def _params():
    for (template, method), entry in sorted(MATRIX.items()):
        marks = [pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry.xfail else []
        yield pytest.param(template, method, entry, id=f"{method} {template}", marks=marks)


@pytest.mark.parametrize(("template", "method", "entry"), list(_params()))
def test_permission_matrix(template, method, entry, world, make_token, settings):
    if entry.prepare is not None:
        entry.prepare(world)
    url = _url(template, entry, world)
    assert route_template(resolve(url.split("?")[0]).route) == template, f"{url} is not the route {template}"
    check = {"owner": _check_owner, "public": _check_public, "machine": _check_machine, "ops": _check_ops}
    check[entry.kind](template, method, url, entry, world, make_token, settings)


def _check_owner(template, method, url, entry, world, make_token, settings):
    before = world.snapshot()

    anonymous = _send(_client(world, "anonymous", make_token), method, url, entry, world)
    if _is_api(template):
        assert anonymous.status_code == 401, _text(anonymous)
        assert {key: anonymous.json().get(key) for key in ANONYMOUS_API} == ANONYMOUS_API
        _text(anonymous)
    else:
        # To the sign-in page, and back: a redirect, or for htmx HX-Redirect (the whole page goes).
        assert anonymous.status_code in (200, 302), anonymous.status_code
        target = anonymous.get("Location") or anonymous.get("HX-Redirect") or ""
        assert target.startswith(SIGN_IN), (anonymous.status_code, target)
        _text(anonymous)

    body = entry.body(world) if entry.body is not None else None
    asked = f"{url} {body!r}"
    foreign = _send(_client(world, "stranger", make_token), method, url, entry, world, body=body)
    expected = entry.status if entry.stranger == OWN else entry.stranger
    assert foreign.status_code == expected, (foreign.status_code, _text(foreign)[:500])
    if _is_api(template) and foreign.status_code >= 400:
        assert foreign.json()["success"] is False
    leaked = _leaks(_text(foreign), world.owners, asked=asked)
    assert not leaked, f"the stranger was shown the owner's {', '.join(leaked)}"

    assert world.snapshot() == before, "a refused request changed the owner's rows"

    response = _send(_client(world, "owner", make_token), method, url, entry, world)
    text = _text(response)
    assert response.status_code == entry.status, (response.status_code, text[:500])
    if entry.shows:
        assert world.owners[entry.shows] in text, f"the owner's answer does not show their {entry.shows}"


def _check_public(template, method, url, entry, world, make_token, settings):
    for who in ("anonymous", "stranger", "owner"):
        response = _send(_client(world, who, make_token), method, url, entry, world)
        expected = entry.status if who == "anonymous" or entry.signed_in is None else entry.signed_in
        text = _text(response)
        assert response.status_code == expected, (who, response.status_code, text[:500])
        if who != "owner":
            leaked = _leaks(text, world.private, asked=url)
            assert not leaked, f"{who} was shown the owner's {', '.join(leaked)}"
        elif entry.shows:
            assert world.owners[entry.shows] in text, f"the owner's answer does not show their {entry.shows}"


def _check_ops(template, method, url, entry, world, make_token, settings):
    if entry.machine is not None:
        _check_machine(template, method, url, entry, world, make_token, settings)
    else:
        _check_public(template, method, url, entry, world, make_token, settings)


def _check_machine(template, method, url, entry, world, make_token, settings):
    secret = entry.machine
    body = entry.body(world) if entry.body is not None else None
    signed = secret.sign(secret.secret, body or "")
    before = world.snapshot()

    refusals = [
        ("anonymous", _client(world, "anonymous", make_token), {}),
        ("a signed-in user", _client(world, "stranger", make_token), {}),
        ("a wrong secret", APIClient(), secret.sign(secret.wrong_secret, body or "")),
    ]
    for who, client, headers in refusals:
        response = _send(client, method, url, entry, world, headers=headers, body=body)
        text = _text(response)
        assert response.status_code == secret.refused, (who, response.status_code, text[:500])
        assert not _leaks(text, world.private, asked=url)

    setattr(settings, secret.setting, "")
    response = _send(APIClient(), method, url, entry, world, headers=signed, body=body)
    assert response.status_code == secret.unconfigured, ("not configured", response.status_code, _text(response))
    _text(response)
    assert world.snapshot() == before, "a refused request changed the owner's rows"

    setattr(settings, secret.setting, secret.secret)
    response = _send(APIClient(), method, url, entry, world, headers=signed, body=body)
    assert response.status_code == entry.status, ("with the secret", response.status_code, _text(response)[:500])
    _text(response)


def test_no_route_serves_a_method_the_matrix_does_not_list(world, make_token):
    """A method the matrix does not list for a route is refused with 405 (the owner asking, with a machine's
    secret where the route needs one): a handler added to a view, or a decorator widened, needs its entry. The
    routes in ANY_METHOD answer every method as they answer the listed one."""
    listed: dict[str, dict[str, Entry]] = {}
    for (template, method), entry in MATRIX.items():
        listed.setdefault(template, {})[method] = entry
    owner = _client(world, "owner", make_token)
    wrong = []
    for template, entries in sorted(listed.items()):
        method, entry = next(iter(entries.items()))
        url = _url(template, entry, world)
        headers = entry.machine.sign(entry.machine.secret, "") if entry.machine else {}
        client = APIClient() if entry.machine else owner
        for other in METHODS:
            if other in entries:
                continue
            response = getattr(client, other.lower())(url, headers={**entry.headers, **headers})
            _text(response)
            expected = (entry.signed_in or entry.status) if template in ANY_METHOD else 405
            if response.status_code != expected:
                wrong.append(f"  {other} {template}: {response.status_code}, not {expected}")
    assert not wrong, "Methods the matrix does not list, not refused:\n" + "\n".join(wrong)
