import os
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import IntegrityError, connection

from accounts.tests.factories import UserFactory
from analytics.models import Call, Session
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot
from bots.tests.factories import BotFactory
from common import ids
from common.ids import cuid, local_user_id
from documents.models import Document
from documents.tests.factories import DocumentFactory

CUID = re.compile(r"^c[0-9a-z]{24}$")


def test_cuid_has_prisma_shape_and_does_not_repeat():
    ids = [cuid() for _ in range(20_000)]

    assert all(CUID.match(value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_process_has_its_own_fingerprint_and_counter():
    # gunicorn loads the app once and forks its workers (issue 16): each must count and sign as its own process.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id and exit at once
        os.write(write, cuid().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    parent = cuid()

    assert child[13:17] != parent[13:17]  # the process fingerprint: pid and host
    assert child[13:17] == ids._fingerprint(pid)


def test_cuids_sort_by_creation_time():
    first = cuid()
    time.sleep(0.002)
    second = cuid()

    assert first[1:9] < second[1:9]


def test_local_user_ids_never_look_like_clerk_ids():
    assert local_user_id().startswith("local_c")
    assert not local_user_id().startswith("user_")


@pytest.mark.django_db
def test_createsuperuser_gets_a_generated_id_and_can_log_into_the_admin(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-passphrase")

    call_command("createsuperuser", "--noinput", "--email", "Ops@Example.COM", verbosity=0)

    staff = get_user_model().objects.get()
    assert staff.id.startswith("local_c")
    assert staff.email == "Ops@example.com"  # the domain is normalised, the local part kept
    assert staff.is_staff
    assert staff.is_superuser
    login = client.post(
        "/admin/login/?next=/admin/", {"username": "Ops@example.com", "password": "a-long-enough-passphrase"}
    )
    assert login.status_code == 302
    assert login["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_clerk_users_have_no_usable_password():
    user = get_user_model().objects.create_user(email="clerk@example.com", id="user_2abc")

    assert user.pk == "user_2abc"
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_email_is_unique():
    UserFactory(email="same@example.com")

    with pytest.raises(IntegrityError):
        UserFactory(email="same@example.com")


def _owned_rows(user):
    bot = BotFactory(user=user, active=True)
    DocumentFactory(bot=bot)
    SessionFactory(bot=bot)
    CallFactory(bot=bot)
    return bot


def _counts():
    return [model.objects.count() for model in (get_user_model(), Bot, Document, Session, Call)]


@pytest.mark.django_db
def test_deleting_a_user_deletes_everything_they_own_and_nothing_else():
    owner, bystander = UserFactory(), UserFactory()
    _owned_rows(owner)
    _owned_rows(bystander)

    owner.delete()

    assert _counts() == [1, 1, 1, 1, 1]
    assert Bot.objects.get().user == bystander


@pytest.mark.django_db
def test_a_plain_sql_delete_cascades_too():
    """ON DELETE CASCADE in the database, as the original schema had: an operator's DELETE does not fail."""
    owner = UserFactory()
    _owned_rows(owner)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM users WHERE id = %s", [owner.pk])

    assert _counts() == [0, 0, 0, 0, 0]
