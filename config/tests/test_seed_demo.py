"""manage.py seed_demo (config/demo.py): the quick start's demo data set. Idempotent, removable without touching
anyone else's rows, and what it makes is what the dashboard shows to its user."""

from __future__ import annotations

import re

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from analytics.models import Call, Session
from bots.models import Bot, BotStatus
from bots.tests.factories import BotFactory
from config.demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_USER_ID
from documents.models import Document, DocumentChunk, DocumentStatus
from documents.search import search_chunks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (User, Bot, Document, DocumentChunk, Call, Session)}


def test_a_second_run_makes_the_same_rows(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")

    assert counts() == first
    assert first["Call"] > 300
    assert first["Session"] > 300
    printed = capsys.readouterr().out
    assert f"as {DEMO_EMAIL}, password {DEMO_PASSWORD}" in printed


def test_it_makes_bots_in_every_status_and_a_searchable_knowledge_base():
    call_command("seed_demo")

    bots = Bot.objects.filter(user_id=DEMO_USER_ID)
    assert {bot.status for bot in bots} == set(BotStatus.values)
    assert bots.get(status=BotStatus.FAILED).activation_error
    pending = bots.get(status=BotStatus.PENDING)
    assert pending.activation_scheduled_at > pending.created_at
    documents = Document.objects.filter(bot__user_id=DEMO_USER_ID)
    assert documents
    assert all(document.status == DocumentStatus.READY and document.chunks for document in documents)
    support = bots.get(name="Acme Store support")
    assert support.documents_processed == 4
    assert search_chunks(bot=support, query="refund")
    call = Call.objects.filter(user_id=DEMO_USER_ID).exclude(messages=None).first()
    assert call.messages[0]["role"] in ("bot", "user")
    assert {"time", "endTime", "secondsFromStart"} <= set(call.messages[0])
    assert set(call.analysis) == {"summary", "structuredData", "successEvaluation"}
    reasons = set(Call.objects.values_list("ended_reason", flat=True))
    assert {"customer-ended-call", "assistant-ended-call", "silence-timed-out"} <= reasons
    assert len(set(Session.objects.values_list("country", flat=True))) >= 5


def test_reset_removes_only_what_the_seed_made(user):
    others = BotFactory(user=user)
    call_command("seed_demo")
    demo = User.objects.get(pk=DEMO_USER_ID)
    own = BotFactory(user=demo, name="Made by hand")  # the demo user's own bot is not the seed's either

    call_command("seed_demo", "--reset")

    assert list(Bot.objects.order_by("name")) == [own, others]
    assert not Call.objects.exists()
    assert not Session.objects.exists()
    assert not Document.objects.exists()
    own.delete()
    call_command("seed_demo", "--reset")
    assert not User.objects.filter(pk=DEMO_USER_ID).exists()
    assert User.objects.filter(pk=user.pk).exists()


def test_its_user_signs_in_and_sees_it_on_the_dashboard_and_in_analytics(client):
    call_command("seed_demo")

    signed_in = client.post("/sign-in", {"username": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302

    dashboard = client.get("/dashboard").content.decode()
    for name in ("Acme Store support", "Bäckerei Sonne orders", "FitHub front desk", "Law office intake"):
        assert name in dashboard
    analytics = client.get("/dashboard/analytics?timeRange=90d").content.decode()
    assert "Acme Store support" in analytics
    # The cards: calls, success rate, cost, average duration, sessions, bots; none of them zero.
    figures = re.findall(r'<p class="stat-value">\s*([^<]+?)\s*</p>', analytics)
    assert len(figures) == 6, figures
    assert all(re.search(r"[1-9]", figure) for figure in figures), figures


def test_it_leaves_an_account_that_already_has_the_demo_address_alone():
    someone = User.objects.create_user(email=DEMO_EMAIL, id="user_someone", password="their own password")

    with pytest.raises(CommandError, match="another user's address"):
        call_command("seed_demo")

    assert not Bot.objects.exists()
    someone.refresh_from_db()
    assert someone.check_password("their own password")
