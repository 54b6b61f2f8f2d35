"""Contract tests of the original app's bot routes (spec/legacy-api.md): success shapes key by key, the spec's
error cases, and the owner scoping that fixes the original's leaks."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.scoping import assert_owner_only
from bots.models import Bot, BotStatus
from bots.tests.conftest import requests_to
from bots.tests.factories import BotFactory
from documents.models import Document

pytestmark = pytest.mark.django_db

CONFIG = {
    "botName": "Support bot",
    "welcomeMessage": "Hello! How can I help?",
    "systemPrompt": "You are the support assistant of Example Inc.",
    "language": "es",
    "voice": "emma",
    "position": "left",
    "theme": "dark",
    "ragEnabled": False,
    "ragSourceType": "files",
    "ragUrl": "",
}
ISO = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"


def create(client, config=None, files=None, **extra):
    data = {"config": json.dumps(config if config is not None else CONFIG), **(files or {}), **extra}
    return client.post("/api/bots/create", data, format="multipart")


# --- POST /api/bots/create --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # real commits: the activation runs as the bot commits, as in production
def test_create_answers_the_legacy_shape_and_activates(client_for, user, vapi):
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_1"}, status=201)

    response = create(client_for(user))

    assert response.status_code == 200
    body = response.json()
    bot = Bot.objects.get()
    assert set(body) == {"success", "bot", "storage", "message"}
    assert body["success"] is True
    assert body["bot"] == {
        "uuid": bot.uuid,
        "name": "Support bot",
        "status": "active",
        "embedCode": (
            '<script defer src="https://bots.example.com/js/external-chatbot-voice.js" '
            f'data-chatbot-uuid="{bot.uuid}" data-language="es" data-position="left" data-theme="dark"></script>'
        ),
        "activationScheduledAt": body["bot"]["activationScheduledAt"],
        "documentsProcessed": 0,
        "ragEnabled": False,
        "vapiAssistantId": "asst_1",
        "localFilesStored": 0,
        "localStoragePath": None,
    }
    assert body["storage"] == {
        "local": {"enabled": False, "filesStored": 0, "storagePath": None},
        "googleDrive": {"enabled": False},
    }
    assert body["message"].startswith("Bot created and activated successfully!")
    assert (bot.user, bot.position, bot.theme, bot.language, bot.voice) == (user, "LEFT", "DARK", "es", "emma")


def test_create_applies_the_legacy_defaults(client_for, user):
    minimal = {key: CONFIG[key] for key in ("botName", "welcomeMessage", "systemPrompt")}

    assert create(client_for(user), minimal).status_code == 200

    bot = Bot.objects.get()
    assert (bot.language, bot.voice, bot.position, bot.theme, bot.rag_enabled, bot.rag_source_type) == (
        "en",
        "jennifer",
        "RIGHT",
        "LIGHT",
        False,
        "FILES",
    )
    assert bot.status == BotStatus.PENDING  # the activation is queued on commit


def test_create_with_files_stores_them_under_the_bots_folder(client_for, user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    config = {**CONFIG, "ragEnabled": True, "ragSourceType": "files"}
    files = {
        "file_0": SimpleUploadedFile("faq.txt", b"Opening hours: 9 to 5.", content_type="text/plain"),
        "file_1": SimpleUploadedFile("../../etc/prices.md", b"# Prices", content_type="text/markdown"),
        "other": SimpleUploadedFile("ignored.txt", b"not a file_ part"),
    }

    body = create(client_for(user), config, files).json()

    bot = Bot.objects.get()
    assert body["bot"]["localFilesStored"] == 2
    assert body["bot"]["localStoragePath"] == f"uploads/{bot.uuid}"
    assert body["storage"]["local"] == {"enabled": True, "filesStored": 2, "storagePath": f"uploads/{bot.uuid}"}
    assert sorted(Document.objects.values_list("name", "file_path")) == [
        ("faq.txt", f"uploads/{bot.uuid}/faq.txt"),
        ("prices.md", f"uploads/{bot.uuid}/prices.md"),
    ]
    assert (tmp_path / "uploads" / bot.uuid / "faq.txt").read_bytes() == b"Opening hours: 9 to 5."


@pytest.mark.parametrize(
    "config",
    [CONFIG, {**CONFIG, "ragEnabled": True, "ragSourceType": "url", "ragUrl": "https://example.com"}],
    ids=["no knowledge base", "a website"],
)
def test_files_for_a_bot_without_a_files_knowledge_base_are_not_stored_and_the_answer_says_so(
    client_for, user, settings, tmp_path, config
):
    # The original's reference behaviour is kept (200, nothing stored), but no longer silently.
    settings.MEDIA_ROOT = tmp_path
    files = {"file_0": SimpleUploadedFile("faq.txt", b"x"), "file_1": SimpleUploadedFile("dir\\prices.md", b"y")}

    response = create(client_for(user), config, files)

    assert response.status_code == 200
    body = response.json()
    assert body["ignoredFiles"] == ["faq.txt", "prices.md"]
    assert body["message"].endswith(
        " 2 uploaded files were not stored: the bot's knowledge base is not set to files (ragEnabled, ragSourceType)."
    )
    assert body["storage"]["local"]["enabled"] is False
    assert not Document.objects.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_a_create_without_files_ignores_none(client_for, user):
    body = create(client_for(user)).json()

    assert "ignoredFiles" not in body
    assert "not stored" not in body["message"]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Missing configuration"),
        ({"config": ""}, "Missing configuration"),
        ({"config": "{not json"}, "Invalid configuration: it is not JSON"),
        ({"config": "[1, 2]"}, "Invalid configuration: it is not a JSON object"),
        ({"config": json.dumps({**CONFIG, "botName": ""})}, "Missing required bot configuration"),
        ({"config": json.dumps({**CONFIG, "welcomeMessage": "  "})}, "Missing required bot configuration"),
        (
            {"config": json.dumps({k: v for k, v in CONFIG.items() if k != "systemPrompt"})},
            "Missing required bot configuration",
        ),
    ],
)
def test_create_errors_of_the_spec(client_for, user, data, error):
    response = client_for(user).post("/api/bots/create", data, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}
    assert not Bot.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"position": "top"}, "position"),
        ({"theme": "neon"}, "theme"),
        ({"voice": "hal9000"}, "voice"),
        ({"language": "English!"}, "language"),
        ({"botName": "x" * 101}, "botName"),
        ({"ragEnabled": True, "ragSourceType": "url", "ragUrl": ""}, "ragUrl"),
        ({"ragEnabled": True, "ragSourceType": "url", "ragUrl": "ftp://example.com"}, "ragUrl"),
    ],
)
def test_create_validates_every_field(client_for, user, change, field):
    response = create(client_for(user), {**CONFIG, **change})

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Bot.objects.exists()


def test_create_requires_sign_in(api_client):
    response = create(api_client)

    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"


# --- GET /api/bots/create and GET /api/bots/list ------------------------------------------------------------------


def test_short_list_shape(client_for, user):
    bot = BotFactory(user=user, documents_processed=3, rag_enabled=True)

    body = client_for(user).get("/api/bots/create").json()

    assert body == {
        "success": True,
        "bots": [
            {
                "uuid": bot.uuid,
                "name": bot.name,
                "status": "pending",
                "createdAt": body["bots"][0]["createdAt"],
                "documentsCount": 3,
                "ragEnabled": True,
                "embedCode": bot.embed_code,
                "activationScheduledAt": body["bots"][0]["activationScheduledAt"],
            }
        ],
    }
    assert body["bots"][0]["createdAt"].endswith("Z")


def test_long_list_shape(client_for, user):
    bot = BotFactory(
        user=user, active=True, position="LEFT", rag_enabled=True, rag_source_type="URL", rag_url="https://example.com"
    )

    body = client_for(user).get("/api/bots/list").json()

    assert body["success"] is True
    assert body["count"] == 1
    (item,) = body["bots"]
    assert list(item) == [
        "uuid",
        "name",
        "status",
        "vapiAssistantId",
        "createdAt",
        "updatedAt",
        "documentsProcessed",
        "ragEnabled",
        "embedCode",
        "activationScheduledAt",
        "welcomeMessage",
        "systemPrompt",
        "language",
        "voice",
        "position",
        "theme",
        "ragSourceType",
        "ragUrl",
        "localFilesStored",
        "activatedAt",
    ]
    assert item["status"] == "active"
    assert item["vapiAssistantId"] == bot.vapi_assistant_id
    assert (item["position"], item["theme"], item["ragSourceType"]) == ("left", "light", "url")
    assert item["ragUrl"] == "https://example.com"


def test_lists_show_only_the_users_own_bots_newest_first(client_for, user, other_user):
    older, newer = BotFactory(user=user), BotFactory(user=user)
    BotFactory(user=other_user)

    for url in ("/api/bots/create", "/api/bots/list", "/api/admin/activate-bot"):
        assert [bot["uuid"] for bot in client_for(user).get(url).json()["bots"]] == [newer.uuid, older.uuid]


def test_the_long_list_is_no_longer_open_to_anonymous_callers(api_client):
    BotFactory()

    response = api_client.get("/api/bots/list")

    assert response.status_code == 401


@pytest.mark.parametrize("url", ["/api/bots/create", "/api/bots/list", "/api/admin/activate-bot"])
def test_lists_cost_two_queries_however_many_bots(client_for, user, url):
    BotFactory.create_batch(2, user=user)
    client = client_for(user)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    BotFactory.create_batch(20, user=user)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()["bots"]) == 22

    # The signed-in user, then the bots.
    assert (len(few), len(many)) == (2, 2)


# --- /api/bots/status/{uuid} --------------------------------------------------------------------------------------


def test_status_is_public_for_the_widget(api_client):
    bot = BotFactory(active=True)

    response = api_client.get(f"/api/bots/status/{bot.uuid}", headers={"Origin": "https://customer.example"})

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "success": True,
        "status": "active",
        "uuid": bot.uuid,
        "name": bot.name,
        "activationScheduledAt": body["activationScheduledAt"],
        "vapiAssistantId": bot.vapi_assistant_id,
        "activatedAt": body["activatedAt"],
        "activationError": None,
    }
    assert response["Access-Control-Allow-Origin"] == "https://customer.example"


@pytest.mark.parametrize("state", ["active", "pending", "failed"])
def test_the_status_costs_one_query(api_client, state):
    # The widget asks it on every page view of every customer's site (issue 16): one SELECT, no refresh.
    bot = {
        "active": lambda: BotFactory(active=True),
        "pending": lambda: BotFactory(activation_scheduled_at=timezone.now() + datetime.timedelta(minutes=5)),
        "failed": lambda: BotFactory(status=BotStatus.FAILED, activation_error="quota"),
    }[state]()

    with CaptureQueriesContext(connection) as queries:
        assert api_client.get(f"/api/bots/status/{bot.uuid}").json()["status"] == state

    assert len(queries) == 1, [query["sql"] for query in queries]


def test_reading_the_status_starts_a_due_activation(api_client, vapi, django_capture_on_commit_callbacks):
    """With no broker and no beat (the quick start), a due bot still activates: when the widget asks."""
    bot = BotFactory()
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_lazy"}, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        api_client.get(f"/api/bots/status/{bot.uuid}")

    assert api_client.get(f"/api/bots/status/{bot.uuid}").json()["status"] == "active"
    assert len(requests_to(vapi, "POST", "/assistant")) == 1


def test_status_of_an_unknown_bot(api_client):
    response = api_client.get("/api/bots/status/00000000-0000-4000-8000-000000000000")

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Bot not found"}


def test_the_failure_reason_is_for_the_owner_only(api_client, client_for, user):
    bot = BotFactory(user=user, status=BotStatus.FAILED, activation_error="VAPI refused POST /assistant (401)")

    public = api_client.get(f"/api/bots/status/{bot.uuid}").json()
    owners = client_for(user).get(f"/api/bots/status/{bot.uuid}").json()

    assert (public["status"], public["activationError"]) == ("failed", "Activation failed")
    assert owners["activationError"] == "VAPI refused POST /assistant (401)"


def test_status_patch_links_an_assistant_owner_only(user, other_user, client_for):
    bot = BotFactory(user=user)

    response = assert_owner_only(
        method="patch",
        url=f"/api/bots/status/{bot.uuid}",
        data={"vapiAssistantId": "asst_made_elsewhere"},
        owner=user,
        stranger=other_user,
        client_for=client_for,
    )

    assert response.json() == {
        "success": True,
        "message": "Bot assistant ID updated successfully",
        "uuid": bot.uuid,
        "vapiAssistantId": "asst_made_elsewhere",
    }
    bot.refresh_from_db()
    assert (bot.vapi_assistant_id, bot.status) == ("asst_made_elsewhere", BotStatus.ACTIVE)


def test_status_patch_requires_the_assistant_id(client_for, user):
    bot = BotFactory(user=user)

    response = client_for(user).patch(f"/api/bots/status/{bot.uuid}", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": "VAPI Assistant ID is required"}


def test_status_patch_conflicts_with_another_bots_assistant(client_for, user):
    BotFactory(user=user, active=True, vapi_assistant_id="asst_taken")
    bot = BotFactory(user=user)

    response = client_for(user).patch(f"/api/bots/status/{bot.uuid}", {"vapiAssistantId": "asst_taken"}, format="json")

    assert response.status_code == 409
    assert response.json()["success"] is False


# --- /api/admin/activate-bot ---------------------------------------------------------------------------------------


def test_the_activation_list_has_the_originals_shape(client_for, user, other_user):
    # The original admin panel's GET: the signed-in user's bots and where their activation stands.
    pending = BotFactory(user=user, documents_processed=3, rag_enabled=True)
    active = BotFactory(user=user, active=True)
    BotFactory(user=other_user)

    body = client_for(user).get("/api/admin/activate-bot").json()

    assert body["success"] is True
    assert body["totalBots"] == 2
    assert [bot["uuid"] for bot in body["bots"]] == [active.uuid, pending.uuid]
    item = body["bots"][1]
    assert list(item) == [
        "uuid",
        "name",
        "status",
        "createdAt",
        "activationScheduledAt",
        "activatedAt",
        "documentsProcessed",
        "ragEnabled",
    ]
    assert (item["name"], item["status"], item["documentsProcessed"], item["ragEnabled"]) == (
        pending.name,
        "pending",
        3,
        True,
    )
    assert item["activatedAt"] is None
    assert item["activationScheduledAt"].endswith("Z")
    assert body["bots"][0]["status"] == "active"
    assert body["bots"][0]["activatedAt"] is not None


def test_the_activation_list_needs_a_signed_in_user(api_client, client_for, other_user):
    BotFactory()

    response = api_client.get("/api/admin/activate-bot")

    assert response.status_code == 401
    assert (response.json()["success"], response.json()["error"]) == (False, "Unauthorized")
    assert client_for(other_user).get("/api/admin/activate-bot").json() == {"success": True, "bots": [], "totalBots": 0}


def test_activate_is_owner_only_and_starts_activation(
    user, other_user, client_for, vapi, django_capture_on_commit_callbacks
):
    bot = BotFactory(user=user)
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_7"}, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        response = assert_owner_only(
            method="post",
            url="/api/admin/activate-bot",
            data={"botUuid": bot.uuid, "action": "activate"},
            owner=user,
            stranger=other_user,
            client_for=client_for,
        )

    assert response.json() == {"success": True, "message": "Bot activation started", "status": "activating"}
    bot.refresh_from_db()
    assert (bot.status, bot.vapi_assistant_id) == (BotStatus.ACTIVE, "asst_7")
    assert len(requests_to(vapi, "POST", "/assistant")) == 1


@pytest.mark.parametrize("status", [BotStatus.ACTIVATING, BotStatus.ACTIVE, BotStatus.FAILED])
def test_activate_only_from_pending(client_for, user, status):
    bot = BotFactory(user=user, status=status)

    response = client_for(user).post(
        "/api/admin/activate-bot", {"botUuid": bot.uuid, "action": "activate"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == f"Bot is already {status.lower()}"


def test_deactivate_returns_to_pending_and_deletes_the_assistant(
    client_for, user, vapi, django_capture_on_commit_callbacks
):
    bot = BotFactory(user=user, active=True, vapi_assistant_id="asst_old")
    vapi.expect_request("/assistant/asst_old", method="DELETE").respond_with_json({"id": "asst_old"})

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(
            "/api/admin/activate-bot", {"botUuid": bot.uuid, "action": "deactivate"}, format="json"
        )

    assert response.json() == {"success": True, "message": "Bot deactivated", "status": "pending"}
    bot.refresh_from_db()
    assert (bot.status, bot.vapi_assistant_id) == (BotStatus.PENDING, None)
    assert len(requests_to(vapi, "DELETE", "/assistant/asst_old")) == 1


def test_deactivate_only_when_active(client_for, user):
    bot = BotFactory(user=user)

    response = client_for(user).post(
        "/api/admin/activate-bot", {"botUuid": bot.uuid, "action": "deactivate"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "Bot is not active"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"action": "activate"}, 400, "Bot UUID is required"),
        ({"botUuid": "00000000-0000-4000-8000-000000000000", "action": "activate"}, 404, "Bot not found"),
    ],
)
def test_activation_errors_of_the_spec(client_for, user, body, status, error):
    response = client_for(user).post("/api/admin/activate-bot", body, format="json")

    assert response.status_code == status
    assert response.json() == {"success": False, "error": error}


def test_unknown_action(client_for, user):
    bot = BotFactory(user=user)

    response = client_for(user).post(
        "/api/admin/activate-bot", {"botUuid": bot.uuid, "action": "explode"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"] == 'Invalid action. Use "activate" or "deactivate"'


# --- GET /api/config ------------------------------------------------------------------------------------------------


def test_config_gives_the_public_key_never_the_private_one(api_client, settings):
    settings.VAPI_PUBLIC_KEY = "pk_public"
    settings.VAPI_PRIVATE_KEY = "sk_private"
    settings.VAPI_ASSISTANT_ID = "asst_demo"

    response = api_client.get("/api/config")

    assert response.json() == {
        "success": True,
        "config": {"vapiPublicKey": "pk_public", "vapiAssistantId": "asst_demo", "environment": "production"},
    }
    assert "sk_private" not in response.content.decode()


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ('{"botName": ' + "[" * 5_000 + "]" * 5_000 + "}", "Invalid configuration: JSON nested deeper than 64 levels"),
        (
            json.dumps({**CONFIG, "botName": "Support\x00bot"}),
            "Invalid configuration: Text must not contain NUL characters",
        ),
        (
            json.dumps(CONFIG)[:-1] + ', "x": 1e400}',
            "Invalid configuration: Numbers must be finite and fit in 64 bits (1e400)",
        ),
    ],
    ids=["nested 5,000 deep", "a NUL", "1e400"],
)
def test_a_hostile_configuration_is_400(client_for, user, config, error):
    response = client_for(user).post("/api/bots/create", {"config": config}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}
    assert not Bot.objects.exists()
