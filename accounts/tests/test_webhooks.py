"""The Clerk webhook, fed payloads signed with svix's own signing, as Svix delivers them."""

from __future__ import annotations

import copy
import datetime
import json
import secrets

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from svix.webhooks import Webhook

from accounts.models import DeletedClerkUser, User
from accounts.tests.factories import UserFactory
from analytics.models import Call, Session
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot
from bots.tests.factories import BotFactory
from conftest import WEBHOOK_SECRET
from documents.models import Document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db(transaction=True)  # files are deleted on commit: let commits happen

URL = "/api/webhooks/clerk"


def signed_headers(body: str, *, secret: str = WEBHOOK_SECRET, at: datetime.datetime | None = None, msg_id=None):
    msg_id = msg_id or f"msg_{secrets.token_hex(8)}"
    at = at or datetime.datetime.now(tz=datetime.UTC)
    return {
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, body),
    }


def deliver(client, event: dict | str, **signing):
    body = event if isinstance(event, str) else json.dumps(event)
    headers = signed_headers(body, **signing)
    return client.post(URL, body, content_type="application/json", headers=headers)


def user_event(kind: str, *, updated_at: int = 1_780_000_000_000, email="ada@example.com", **data) -> dict:
    return {
        "object": "event",
        "type": kind,
        "timestamp": updated_at,
        "data": {
            "id": "user_2ADA",
            "object": "user",
            "primary_email_address_id": "idn_1",
            "email_addresses": [{"id": "idn_1", "email_address": email, "verification": {"status": "verified"}}],
            "first_name": "Ada",
            "last_name": "Lovelace",
            "image_url": "https://img.clerk.com/ada.png",
            "created_at": 1_770_000_000_000,
            "updated_at": updated_at,
            **data,
        },
    }


DELETED = {"object": "event", "type": "user.deleted", "data": {"id": "user_2ADA", "object": "user", "deleted": True}}


def test_user_created_creates_the_user(client):
    response = deliver(client, user_event("user.created"))

    assert response.status_code == 200
    assert response.json() == {"success": True, "event": "user.created", "effect": "upserted"}
    user = User.objects.get(pk="user_2ADA")
    assert (user.email, user.first_name, user.last_name) == ("ada@example.com", "Ada", "Lovelace")
    assert user.image_url == "https://img.clerk.com/ada.png"
    assert not user.has_usable_password()


def test_user_created_fills_the_placeholder_of_a_first_request(client):
    UserFactory(id="user_2ADA", email="user_2ADA@users.clerk.invalid", first_name=None)

    deliver(client, user_event("user.created"))

    assert User.objects.get(pk="user_2ADA").email == "ada@example.com"


def test_user_updated_changes_the_profile(client):
    deliver(client, user_event("user.created"))

    deliver(client, user_event("user.updated", updated_at=1_780_000_500_000, email="ada@lovelace.dev", first_name="A."))

    user = User.objects.get(pk="user_2ADA")
    assert (user.email, user.first_name) == ("ada@lovelace.dev", "A.")


def test_an_older_update_delivered_late_changes_nothing(client):
    deliver(client, user_event("user.updated", updated_at=1_780_000_500_000, first_name="New"))

    deliver(client, user_event("user.created", updated_at=1_780_000_000_000, first_name="Old"))

    assert User.objects.get(pk="user_2ADA").first_name == "New"


def test_replays_are_harmless(client):
    event = user_event("user.created")
    for _ in range(3):
        assert deliver(client, event, msg_id="msg_same").status_code == 200
    assert User.objects.filter(pk="user_2ADA").count() == 1

    for expected in ("deleted", "already absent", "already absent"):
        assert deliver(client, DELETED, msg_id="msg_gone").json()["effect"] == expected
    assert not User.objects.filter(pk="user_2ADA").exists()


def test_user_deleted_removes_everything_they_own_and_their_stored_files(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    deliver(client, user_event("user.created"))
    owner = User.objects.get(pk="user_2ADA")
    bot = BotFactory(user=owner, active=True)
    path = default_storage.save(f"uploads/{bot.uuid}/handbook.txt", ContentFile(b"hello"))
    DocumentFactory(bot=bot, file_path=path)
    SessionFactory(bot=bot)
    CallFactory(bot=bot)
    bystander_bot = BotFactory(active=True)
    kept = default_storage.save(f"uploads/{bystander_bot.uuid}/kept.txt", ContentFile(b"mine"))
    DocumentFactory(bot=bystander_bot, file_path=kept)

    response = deliver(client, DELETED)

    assert response.json()["effect"] == "deleted"
    assert not User.objects.filter(pk="user_2ADA").exists()
    remaining = [model.objects.count() for model in (Bot, Document, Session, Call)]
    assert remaining == [1, 1, 0, 0]  # the bystander's bot and document
    assert not default_storage.exists(path)
    assert default_storage.exists(kept)


def test_an_email_that_belongs_to_another_user_is_not_taken(client):
    UserFactory(id="user_2OLD", email="ada@example.com")

    assert deliver(client, user_event("user.created")).status_code == 200

    assert User.objects.get(pk="user_2ADA").email == "user_2ADA@users.clerk.invalid"
    assert User.objects.get(pk="user_2OLD").email == "ada@example.com"


def test_a_user_without_email_keeps_a_placeholder(client):
    event = user_event("user.created")
    event["data"].update(primary_email_address_id=None, email_addresses=[], first_name=None, last_name=None)

    deliver(client, event)

    user = User.objects.get(pk="user_2ADA")
    assert user.email == "user_2ADA@users.clerk.invalid"
    assert user.first_name is None


def test_nul_characters_are_removed_from_what_clerk_sends(client):
    # PostgreSQL cannot store a NUL: removed from every string of a machine's delivery (common/inputs.py).
    event = user_event("user.created", first_name="A\x00da", email="ada\x00@example.com")
    event["data"]["id"] = "user_2\x00ADA"
    body = json.dumps(event)
    assert "\\u0000" in body  # JSON's spelling of a NUL

    response = deliver(client, body)

    assert response.status_code == 200
    user = User.objects.get(pk="user_2ADA")
    assert (user.first_name, user.email) == ("Ada", "ada@example.com")


@pytest.mark.parametrize("updated_at", [1e300, -1e300, 10**18])
def test_an_absurd_update_time_is_not_believed(client, updated_at):
    response = deliver(client, user_event("user.created", updated_at=updated_at))

    assert response.status_code == 200
    assert User.objects.get(pk="user_2ADA").clerk_updated_at is None


@pytest.mark.parametrize("addresses", [0.05, "ada@example.com", {"id": "idn_1"}, None])
def test_email_addresses_that_are_not_a_list_are_ignored(client, addresses):
    response = deliver(client, user_event("user.created", email_addresses=addresses))

    assert response.status_code == 200
    assert User.objects.get(pk="user_2ADA").email == "user_2ADA@users.clerk.invalid"


def test_an_address_that_is_not_one_is_not_taken(client):
    deliver(client, user_event("user.created", email="not an address"))

    assert User.objects.get(pk="user_2ADA").email == "user_2ADA@users.clerk.invalid"


# --- Deleted users stay deleted ---------------------------------------------------------------------------------


def test_a_creation_replayed_after_the_deletion_does_not_bring_the_user_back(client):
    created = json.dumps(user_event("user.created"))
    captured = signed_headers(created, msg_id="msg_captured")
    assert client.post(URL, created, content_type="application/json", headers=captured).status_code == 200

    assert deliver(client, DELETED).json()["effect"] == "deleted"
    replayed = client.post(URL, created, content_type="application/json", headers=captured)  # within its 5 minutes

    assert replayed.status_code == 200
    assert replayed.json()["effect"] == "ignored: the user was deleted"
    assert not User.objects.filter(pk="user_2ADA").exists()
    assert DeletedClerkUser.objects.filter(pk="user_2ADA").exists()


def test_an_update_delivered_after_the_deletion_is_ignored(client):
    deliver(client, user_event("user.created"))
    deliver(client, DELETED)

    later = deliver(client, user_event("user.updated", updated_at=1_790_000_000_000))

    assert later.json()["effect"] == "ignored: the user was deleted"
    assert not User.objects.exists()


def test_a_deletion_delivered_before_the_creation_wins(client):
    assert deliver(client, DELETED).json()["effect"] == "already absent"

    assert deliver(client, user_event("user.created")).json()["effect"] == "ignored: the user was deleted"
    assert not User.objects.exists()


def test_a_token_of_a_deleted_user_does_not_recreate_them(client, make_token):
    deliver(client, user_event("user.created"))
    deliver(client, DELETED)

    response = client.get("/api/me", headers={"Authorization": f"Bearer {make_token('user_2ADA')}"})

    assert response.status_code == 401
    assert response.json()["detail"] == "User account was deleted"
    assert not User.objects.exists()


def test_other_events_are_acknowledged_and_ignored(client):
    response = deliver(client, {"type": "session.created", "data": {"id": "sess_1"}})

    assert response.status_code == 200
    assert response.json()["effect"] == "ignored"


# --- Refused deliveries: 4xx, nothing written ----------------------------------------------------------------


def _refused(response, message: str) -> None:
    assert response.status_code == 400
    assert response.json() == {"success": False, "error": message}
    assert not User.objects.exists()


def test_bad_signature(client):
    body = json.dumps(user_event("user.created"))
    headers = signed_headers(body, secret="whsec_" + "b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmchIQ==")

    _refused(client.post(URL, body, content_type="application/json", headers=headers), "Invalid webhook signature")


def test_tampered_body(client):
    body = json.dumps(user_event("user.created"))
    headers = signed_headers(body)
    tampered = body.replace("ada@example.com", "eve@example.com")

    _refused(client.post(URL, tampered, content_type="application/json", headers=headers), "Invalid webhook signature")


def test_missing_signature_headers(client):
    _refused(client.post(URL, user_event("user.created"), content_type="application/json"), "Invalid webhook signature")


def test_stale_timestamp(client):
    stale = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=10)

    _refused(deliver(client, user_event("user.created"), at=stale), "Invalid webhook signature")


def test_signature_without_version_prefix(client):
    body = json.dumps(user_event("user.created"))
    headers = {**signed_headers(body), "svix-signature": "v1AAAA"}

    _refused(client.post(URL, body, content_type="application/json", headers=headers), "Invalid webhook signature")


def test_signed_but_malformed_json(client):
    _refused(deliver(client, '{"type": "user.created", "data": '), "Malformed JSON")


def test_signed_event_without_a_user_id(client):
    event = copy.deepcopy(user_event("user.created"))
    del event["data"]["id"]

    _refused(deliver(client, event), "Malformed event: data.id is missing or not a user id")


@pytest.mark.parametrize("user_id", ["x" * 192, "user 2ADA", "", 42])
def test_signed_event_whose_user_id_is_not_one(client, user_id):
    _refused(
        deliver(client, user_event("user.created", id=user_id)), "Malformed event: data.id is missing or not a user id"
    )


def test_signed_event_nested_too_deeply(client):
    _refused(
        deliver(client, '{"type": "user.created", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        "JSON nested deeper than 64 levels",
    )


def test_not_configured_is_503_and_writes_nothing(client, clerk_settings):
    clerk_settings.CLERK_WEBHOOK_SECRET = ""

    response = deliver(client, user_event("user.created"))

    assert response.status_code == 503
    assert response.json()["error"] == "Clerk webhooks are not configured"
    assert not User.objects.exists()


def test_only_post(client):
    response = client.get(URL)

    assert response.status_code == 405
    assert response.json()["success"] is False
