"""The read replica (config/routers.py, common/replica.py) against a second, real PostgreSQL database.

The stand-in replica is a copy of the test database (``CREATE DATABASE … TEMPLATE``), registered as the "replica"
alias for this module only: the rest of the suite never has a second alias, so pytest-django creates and migrates
nothing more for it. Every row a test needs is written to the primary and copied to the replica under the same
primary key but with different content (``…ON-PRIMARY`` / ``…ON-REPLICA`` in a name, a call id, a user agent), so
each answer shows which database served it.

Replica reads are off inside a transaction on the primary, and pytest-django's usual per-test transaction is one:
the routing tests are transactional (their rows are committed, then flushed), which is also what a real replica
sees, committed data only.
"""

from __future__ import annotations

import copy
import logging
import runpy
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.tests.factories import UserFactory
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot
from bots.selectors import bot_get
from bots.tests.factories import BotFactory
from common.replica import COOLDOWN_KEY, REPLICA, RequestRouting, _routing, _writer_key, replica_reads
from config.routers import ReplicaRouter
from config.tests.processes import free_port
from documents.tests.factories import DocumentFactory

ON_PRIMARY = "ON-PRIMARY"
ON_REPLICA = "ON-REPLICA"
MIDDLEWARE = "common.replica.ReplicaRoutingMiddleware"
ROUTER = "config.routers.ReplicaRouter"
OUR_TABLES = {"users", "bots", "documents", "sessions", "calls"}

routing_test = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


# --- The stand-in replica ------------------------------------------------------------------------------------


def _server(database: str = "postgres") -> psycopg.Connection:
    """A connection to another database of the test server (same credentials as the test database)."""
    db = connections[DEFAULT_DB_ALIAS].settings_dict
    return psycopg.connect(
        dbname=database,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    )


def _tables(database: str) -> set[str]:
    with _server(database) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {name for (name,) in rows}


@pytest.fixture(scope="module")
def replica_database(django_db_setup, django_db_blocker):
    """A copy of the (migrated, empty) test database, as the "replica" alias, for this module's tests."""
    with django_db_blocker.unblock():
        primary = connections[DEFAULT_DB_ALIAS]
        source, name = primary.settings_dict["NAME"], f"{primary.settings_dict['NAME']}_replica"
        primary.close()  # the template of CREATE DATABASE must have no other session
        with _server() as server:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        replica_settings = copy.deepcopy(primary.settings_dict)
        replica_settings["NAME"] = name
        # A test mirror of the primary, as Django's docs declare a replica for tests, so that Django's test cases
        # neither flush it nor wrap it in a transaction; unlike a plain mirror it keeps a database of its own
        # (NAME), whose rows the tests make differ. The `replica` fixture empties it after each test.
        replica_settings["TEST"]["MIRROR"] = DEFAULT_DB_ALIAS
        connections.settings[REPLICA] = replica_settings
    try:
        yield name
    finally:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            with _server() as server:
                server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def replica(replica_database, settings):
    """The replica configured as config/settings.py configures it when DATABASE_REPLICA_URL is set."""
    settings.DATABASE_ROUTERS = [ROUTER]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    settings.DATABASE_REPLICA_READS = True
    settings.DATABASE_REPLICA_COOLDOWN = 30
    settings.DATABASE_REPLICA_STICKY_SECONDS = 5
    cache.delete(COOLDOWN_KEY)
    yield
    cache.delete_many([COOLDOWN_KEY, *(_writer_key(pk) for pk in User.objects.values_list("pk", flat=True))])
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(sorted(OUR_TABLES)) + " CASCADE")


def on_replica(row: Model, **changes) -> Model:
    """Copy ``row`` to the replica as replication would, with ``changes`` (what makes the copy recognisable)."""
    replicated = type(row).objects.using(DEFAULT_DB_ALIAS).get(pk=row.pk)
    for field, value in changes.items():
        setattr(replicated, field, value)
    replicated.save(using=REPLICA, force_insert=True)
    return replicated


@pytest.fixture
def world(replica):
    """A user with a bot, a document, a call and a session, on both databases, told apart by their content."""
    user = UserFactory()
    bot = BotFactory(user=user, name=f"bot {ON_PRIMARY}", rag_enabled=True, rag_source_type="FILES")
    document = DocumentFactory(bot=bot, name=f"doc-{ON_PRIMARY}.txt")
    call = CallFactory(bot=bot, vapi_call_id=f"call-{ON_PRIMARY}")
    session = SessionFactory(bot=bot, user_agent=f"agent {ON_PRIMARY}")
    on_replica(user)
    on_replica(bot, name=f"bot {ON_REPLICA}")
    on_replica(document, name=f"doc-{ON_REPLICA}.txt", file_path=f"uploads/{bot.uuid}/doc-{ON_REPLICA}.txt")
    on_replica(call, vapi_call_id=f"call-{ON_REPLICA}")
    on_replica(session, user_agent=f"agent {ON_REPLICA}")
    return {"user": user, "bot": bot, "document": document}


def answered_by(response) -> str:
    """Which database's rows the answer shows, "primary" or "replica" (anything else fails the test)."""
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    assert response.status_code == 200, body[:500]
    sources = [name for name, mark in (("primary", ON_PRIMARY), ("replica", ON_REPLICA)) if mark in body]
    assert len(sources) == 1, f"expected the rows of one database, found {sources or 'none'}: {body[:500]}"
    return sources[0]


def read_from(client, url: str) -> str:
    """Which database served the GET of ``url``, by the rows it shows; for the replica, the primary must have
    answered nothing but the sign-in (the user, a staff session): "replica, and the primary for …" otherwise."""
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
        source = answered_by(client.get(url))
    tables = sorted({table for query in on_primary for table in OUR_TABLES - {"users"} if f'"{table}"' in query["sql"]})
    return f"{source}, and the primary for {', '.join(tables)}" if source == "replica" and tables else source


# --- Where reads go ------------------------------------------------------------------------------------------


@routing_test
def test_analytics_reports_read_the_replica(world, client_for):
    client = client_for(world["user"])
    routes = [
        "/api/analytics/overview",
        "/api/analytics/bots",
        "/api/analytics/calls",
        "/api/analytics/sessions",
        "/api/analytics/logs",
        f"/api/analytics/logs?callId=call-{ON_REPLICA}",
        "/api/analytics/calls/export",
    ]

    assert {route: read_from(client, route) for route in routes} == dict.fromkeys(routes, "replica")


@routing_test
def test_list_endpoints_and_admin_changelists_read_the_replica(world, client_for, staff_client):
    client = client_for(world["user"])
    uuid = world["bot"].uuid
    routes = [
        "/api/bots/list",
        "/api/bots/create",
        "/api/bots",
        f"/api/bots/{uuid}/documents",
        f"/api/bots/{uuid}/files",
    ]
    changelists = ["/admin/bots/bot/", "/admin/documents/document/", "/admin/analytics/call/"]

    assert {route: read_from(client, route) for route in routes} == dict.fromkeys(routes, "replica")
    assert {page: read_from(staff_client, page) for page in changelists} == dict.fromkeys(changelists, "replica")


@routing_test
def test_detail_reads_and_writes_use_the_primary(world, client_for, api_client, staff_client):
    client = client_for(world["user"])
    bot, document = world["bot"], world["document"]

    assert answered_by(client.get(f"/api/bots/{bot.uuid}")) == "primary"
    assert answered_by(client.get(f"/api/bots/{bot.uuid}/documents/{document.pk}")) == "primary"
    assert answered_by(api_client.get(f"/api/widget/{bot.uuid}/config")) == "primary"
    assert answered_by(staff_client.get(f"/admin/bots/bot/{bot.pk}/change/")) == "primary"
    renamed = client.patch(f"/api/bots/{bot.uuid}", {"name": f"renamed {ON_PRIMARY}"}, format="json")
    assert answered_by(renamed) == "primary"
    assert Bot.objects.using(DEFAULT_DB_ALIAS).get(pk=bot.pk).name == f"renamed {ON_PRIMARY}"
    assert Bot.objects.using(REPLICA).get(pk=bot.pk).name == f"bot {ON_REPLICA}"


class ProbeView(APIView):
    """A replica-safe handler that reads the signed-in user's bot before, inside and after a transaction, and
    after a write (also through a bot read before it); it answers where each read came from."""

    @replica_reads
    def get(self, request: Request, uuid: str) -> Response:
        return Response(self.probe(request, uuid))

    @replica_reads
    def post(self, request: Request, uuid: str) -> Response:
        return Response(self.probe(request, uuid))

    @staticmethod
    def probe(request: Request, uuid: str) -> dict[str, str]:
        def source(name: str) -> str:
            return "replica" if ON_REPLICA in name else "primary"

        bot = bot_get(user=request.user, uuid=uuid)
        reads = {"first": source(bot.name)}
        with transaction.atomic():
            reads["in_transaction"] = source(bot_get(user=request.user, uuid=uuid).name)
        reads["after_transaction"] = source(bot_get(user=request.user, uuid=uuid).name)
        Bot.objects.filter(user=request.user, uuid=uuid).update(updated_at=timezone.now())
        reads["after_write"] = source(bot_get(user=request.user, uuid=uuid).name)
        # Rows related to an object that came from the replica follow the routing, not that object's database.
        reads["related_after_write"] = source(bot.documents.get().name)
        return reads


urlpatterns = [path("probe/<str:uuid>", ProbeView.as_view())]


@routing_test
@pytest.mark.urls(__name__)
def test_reads_in_a_transaction_or_after_a_write_of_the_request_read_the_primary(world, client_for):
    reads = client_for(world["user"]).get(f"/probe/{world['bot'].uuid}").json()

    assert reads == {
        "first": "replica",
        "in_transaction": "primary",
        "after_transaction": "replica",
        "after_write": "primary",
        "related_after_write": "primary",
    }


@routing_test
@pytest.mark.urls(__name__)
def test_other_methods_read_the_primary_even_in_a_replica_safe_handler(world, client_for):
    reads = client_for(world["user"]).post(f"/probe/{world['bot'].uuid}").json()

    assert set(reads.values()) == {"primary"}


@routing_test
def test_a_new_users_first_request_reads_the_primary_after_creating_them(replica, client_for):
    # Known to the replica but not yet to the primary: the token's user is looked up and created on the primary
    # (authentication runs before replica reads are turned on), a write, so the list that follows reads the
    # primary too.
    user = UserFactory.build()
    user.save(using=REPLICA, force_insert=True)
    BotFactory.build(user=user, name=f"bot {ON_REPLICA}").save(using=REPLICA, force_insert=True)

    response = client_for(user).get("/api/bots/list")

    assert response.status_code == 200
    assert response.json()["bots"] == []
    assert User.objects.using(DEFAULT_DB_ALIAS).filter(pk=user.pk).exists()


@routing_test
def test_a_users_reads_stay_on_the_primary_for_a_while_after_they_wrote(world, client_for):
    client = client_for(world["user"])
    assert answered_by(client.get("/api/bots/list")) == "replica"

    assert client.patch(f"/api/bots/{world['bot'].uuid}", {"welcomeMessage": "Hi!"}, format="json").status_code == 200
    assert answered_by(client.get("/api/bots/list")) == "primary"

    cache.delete(_writer_key(world["user"].pk))  # DATABASE_REPLICA_STICKY_SECONDS have passed
    assert answered_by(client.get("/api/bots/list")) == "replica"


@routing_test
def test_reads_go_to_the_primary_when_switched_off_or_when_the_cache_does_not_answer(
    world, client_for, settings, monkeypatch, caplog
):
    client = client_for(world["user"])
    settings.DATABASE_REPLICA_READS = False
    assert answered_by(client.get("/api/analytics/calls")) == "primary"

    settings.DATABASE_REPLICA_READS = True

    def cache_down(*args, **kwargs):
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(caches["default"], "get_many", cache_down)
    with caplog.at_level(logging.WARNING, logger="common.replica"):
        assert answered_by(client.get("/api/analytics/calls")) == "primary"
    assert "the cache did not answer (ConnectionError while reading the replica marks)" in caplog.text


@routing_test
def test_a_replica_that_does_not_answer_falls_back_to_the_primary_then_pauses(world, client_for, caplog):
    client = client_for(world["user"])
    replica_settings = connections[REPLICA].settings_dict
    port = replica_settings["PORT"]
    connections[REPLICA].close()
    replica_settings["PORT"] = free_port()  # nothing listens there: connections are refused
    try:
        with caplog.at_level(logging.WARNING, logger="common.replica"):
            assert answered_by(client.get("/api/analytics/overview")) == "primary"
            assert "Read replica failed (OperationalError) on GET /api/analytics/overview" in caplog.text

            caplog.clear()
            assert answered_by(client.get("/api/bots/list")) == "primary"
            assert not [record for record in caplog.records if record.name == "common.replica"]  # not tried
    finally:
        replica_settings["PORT"] = port
        connections[REPLICA].close()

    assert answered_by(client.get("/api/bots/list")) == "primary"  # still paused, although back
    cache.delete(COOLDOWN_KEY)  # DATABASE_REPLICA_COOLDOWN has passed
    assert answered_by(client.get("/api/bots/list")) == "replica"


# --- The router outside requests, and migrations -------------------------------------------------------------


def test_outside_requests_every_read_and_write_uses_the_primary():
    router = ReplicaRouter()

    assert router.db_for_read(Bot) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Bot) == DEFAULT_DB_ALIAS


def test_a_requests_reads_go_to_the_replica_only_inside_a_replica_safe_handler_and_until_it_writes():
    router = ReplicaRouter()
    routing = RequestRouting()
    token = _routing.set(routing)
    try:
        assert router.db_for_read(Bot) == DEFAULT_DB_ALIAS
        routing.replica_reads = True
        assert router.db_for_read(Bot) == REPLICA
        assert router.db_for_write(Bot) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Bot) == DEFAULT_DB_ALIAS
    finally:
        _routing.reset(token)


def test_objects_of_both_databases_may_be_related_and_migrations_skip_the_replica():
    router = ReplicaRouter()
    from_primary, from_replica, elsewhere = Bot(), User(), User()
    from_primary._state.db, from_replica._state.db, elsewhere._state.db = DEFAULT_DB_ALIAS, REPLICA, "archive"

    assert router.allow_relation(from_primary, from_replica) is True
    assert router.allow_relation(from_primary, elsewhere) is None
    assert router.allow_migrate(REPLICA, "bots", "bot") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "bots", "bot") is None


@pytest.mark.slow
def test_migrate_on_the_replica_creates_none_of_our_tables(replica_database, settings, django_db_blocker):
    # `manage.py migrate` only ever migrates "default" (the release phase too); asked for the replica by name, it
    # still creates nothing there but Django's own bookkeeping table (and a real replica refuses even that).
    settings.DATABASE_ROUTERS = [ROUTER]
    replica_settings = connections[REPLICA].settings_dict
    empty = f"{replica_database}_empty"
    with _server() as server:
        server.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')
        server.execute(f'CREATE DATABASE "{empty}"')
    connections[REPLICA].close()
    replica_settings["NAME"] = empty
    try:
        with django_db_blocker.unblock():
            call_command("migrate", database=REPLICA, interactive=False, verbosity=0)
            connections[REPLICA].close()
        assert _tables(empty) <= {"django_migrations"}
    finally:
        replica_settings["NAME"] = replica_database
        with _server() as server:
            server.execute(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')


# --- Settings ------------------------------------------------------------------------------------------------

PRIMARY_URL = "postgresql://app:secret@db.example.postgres.database.azure.com:5432/voicebot?sslmode=require"
REPLICA_URL = "postgresql://app:secret@db-replica.example.postgres.database.azure.com:5432/voicebot?sslmode=require"


def settings_for(monkeypatch, **variables: str) -> dict:
    """The settings config/settings.py makes from these environment variables, evaluated afresh in this process
    (the same code a deployment runs, in a new namespace: the running settings are not touched)."""
    for name in ("DEBUG", "DATABASE_REPLICA_URL", "DATABASE_REPLICA_READS", "DATABASE_POOL_MAX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    environment = {"ENV_FILE": "", "DATABASE_URL": PRIMARY_URL, "SECRET_KEY": "replica-test", **variables}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(Path(django_settings.BASE_DIR) / "config" / "settings.py"))


def test_without_a_replica_url_there_is_no_replica_router_or_middleware(monkeypatch):
    configured = settings_for(monkeypatch)

    assert list(configured["DATABASES"]) == [DEFAULT_DB_ALIAS]
    assert "DATABASE_ROUTERS" not in configured
    assert MIDDLEWARE not in configured["MIDDLEWARE"]


def test_a_replica_url_adds_the_replica_with_the_primarys_connection_handling(monkeypatch):
    configured = settings_for(monkeypatch, DATABASE_REPLICA_URL=REPLICA_URL, DATABASE_POOL_MAX_SIZE="4")
    primary, replica = configured["DATABASES"][DEFAULT_DB_ALIAS], configured["DATABASES"][REPLICA]

    assert replica["HOST"] == "db-replica.example.postgres.database.azure.com"
    assert {**replica, "HOST": primary["HOST"]} == primary  # engine, pool, health checks, sslmode, timeouts
    assert replica["OPTIONS"]["pool"]["max_size"] == 4
    assert configured["DATABASE_ROUTERS"] == [ROUTER]
    middleware = configured["MIDDLEWARE"]
    assert middleware.index(MIDDLEWARE) == middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1
    assert configured["DATABASE_REPLICA_READS"] is True


def test_replica_reads_can_be_switched_off_without_removing_the_replica(monkeypatch):
    configured = settings_for(monkeypatch, DATABASE_REPLICA_URL=REPLICA_URL, DATABASE_REPLICA_READS="false")

    assert configured["DATABASE_REPLICA_READS"] is False
    assert REPLICA in configured["DATABASES"]
