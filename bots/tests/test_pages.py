"""The bots' pages (bots/pages.py): landing page, dashboard, the create/edit form, delete, re-activate and the
status fragment. Signed-in owners only, another user's bot is a 404 everywhere, and every page costs a fixed
number of queries."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.shortcuts import resolve_url
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.models import Call, Session
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from bots.tests.conftest import requests_to
from bots.tests.factories import BotFactory
from documents.models import Document

pytestmark = pytest.mark.django_db

FUTURE = timezone.now() + datetime.timedelta(days=3)


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def media(settings, tmp_path):
    """Stored originals go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bot(user):
    return BotFactory(user=user, active=True, name="Front desk")


def valid_form(**overrides) -> dict:
    return {
        "name": "Support bot",
        "welcome_message": "Hi! Ask me anything about Example Inc.",
        "system_prompt": "You answer questions about Example Inc.",
        "language": "fr",
        "voice": "david",
        "position": "left",
        "theme": "dark",
        "rag_source_type": "files",
        "rag_url": "",
        "activation_scheduled_at": "",
        "tz": "UTC",
        **overrides,
    }


def field_html(html: str, field_id: str) -> str:
    """The markup of the form field (its ``.field`` block) that holds the control ``field_id``."""
    blocks = re.findall(
        r'<div class="field[^"]*"[^>]*>.*?</div>\s*(?=<div class="field|</fieldset>|<div data-)', html, re.S
    )
    for block in blocks:
        if f'id="{field_id}"' in block:
            return block
    raise AssertionError(f"no field holds #{field_id}")


def urls_of(bot) -> list[tuple[str, str]]:
    return [
        ("get", reverse("dashboard-bot", args=[bot.uuid])),
        ("post", reverse("dashboard-bot", args=[bot.uuid])),
        ("get", reverse("dashboard-bot-status", args=[bot.uuid])),
        ("get", reverse("dashboard-bot-delete", args=[bot.uuid])),
        ("post", reverse("dashboard-bot-delete", args=[bot.uuid])),
        ("post", reverse("dashboard-bot-reactivate", args=[bot.uuid])),
    ]


# --- Access -----------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, user):
    bot = BotFactory(user=user)
    sign_in = resolve_url(settings.LOGIN_URL)
    for method, url in [("get", reverse("dashboard")), ("get", reverse("dashboard-bot-new")), *urls_of(bot)]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{sign_in}?next={url}", url
    assert Bot.objects.filter(pk=bot.pk).exists()


def test_an_anonymous_htmx_poll_sends_the_whole_page_to_sign_in(client, user):
    bot = BotFactory(user=user)
    response = client.get(
        reverse("dashboard-bot-status", args=[bot.uuid]),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/dashboard"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{resolve_url(settings.LOGIN_URL)}?next=/dashboard"


def test_another_users_bot_is_not_found_in_every_url(owner_client, other_user):
    theirs = BotFactory(user=other_user, status=BotStatus.FAILED, activation_error="VAPI said no")
    for method, url in urls_of(theirs):
        response = getattr(owner_client, method)(url, valid_form() if method == "post" else None)
        assert response.status_code == 404, f"{method} {url}"
    theirs.refresh_from_db()
    assert theirs.status == BotStatus.FAILED
    assert theirs.name != "Support bot"


@pytest.mark.parametrize("path", ["/dashboard/bots/00000000-0000-4000-8000-000000000000", "/dashboard/bots/not-a-bot"])
def test_an_unknown_bot_is_not_found(owner_client, path):
    assert owner_client.get(path).status_code == 404


# --- Landing page -----------------------------------------------------------------------------------------------


def test_the_landing_page_says_what_the_product_does_and_how_in(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for words in ("Create a bot", "Give it knowledge", "Paste one script tag", "See calls and analytics"):
        assert words in html
    assert f'href="{reverse("sign-in")}"' in html
    assert f'href="{reverse("sign-up")}"' in html
    assert "external-chatbot-voice.js" not in html
    assert 'id="demo"' not in html


def test_signed_in_the_landing_page_opens_the_dashboard(owner_client):
    html = owner_client.get("/").content.decode()
    assert "Open your dashboard" in html
    assert f'href="{reverse("dashboard")}"' in html


def test_the_landing_page_embeds_the_demo_bot_when_it_is_active(client, settings, other_user):
    demo = BotFactory(user=other_user, active=True, position=Position.LEFT, theme=Theme.DARK, language="es")
    settings.DEMO_BOT_UUID = demo.uuid
    settings.PUBLIC_BASE_URL = "https://bots.example.com"

    html = client.get("/").content.decode()

    assert 'id="demo"' in html
    assert (
        '<script defer src="https://bots.example.com/js/external-chatbot-voice.js" '
        f'data-chatbot-uuid="{demo.uuid}" data-language="es" data-position="left" data-theme="dark"></script>'
    ) in html


@pytest.mark.parametrize("status", [BotStatus.PENDING, BotStatus.ACTIVATING, BotStatus.FAILED])
def test_no_demo_while_the_demo_bot_is_not_active(client, settings, other_user, status):
    settings.DEMO_BOT_UUID = BotFactory(user=other_user, status=status).uuid
    html = client.get("/").content.decode()
    assert "external-chatbot-voice.js" not in html
    assert 'id="demo"' not in html


def test_no_demo_for_an_unknown_demo_bot(client, settings):
    settings.DEMO_BOT_UUID = "00000000-0000-4000-8000-000000000000"
    response = client.get("/")
    assert response.status_code == 200
    assert "external-chatbot-voice.js" not in response.content.decode()


# --- Dashboard --------------------------------------------------------------------------------------------------


def test_the_dashboard_lists_only_the_owners_bots_with_their_figures(owner_client, user, other_user):
    BotFactory(user=user, name="Sales line", active=True, language="fr", voice="emma", documents_processed=3)
    BotFactory(user=user, name="Night desk", status=BotStatus.FAILED, activation_error="VAPI refused: bad voice")
    BotFactory(user=other_user, name="Somebody else's bot", active=True)

    response = owner_client.get(reverse("dashboard"))
    html = response.content.decode()

    assert response.status_code == 200
    assert "Sales line" in html
    assert "Night desk" in html
    assert "Somebody else" not in html
    assert re.search(r"Total bots</p>\s*<p class=\"stat-value\">2<", html)
    assert re.search(r"Active bots</p>\s*<p class=\"stat-value\">1<", html)
    assert "French" in html
    assert "Emma" in html
    assert "VAPI refused: bad voice" in html
    assert "Re-activate" in html
    assert f'hx-get="{reverse("dashboard-analytics-summary")}" hx-trigger="load" hx-swap="outerHTML"' in html
    assert f'hx-get="{reverse("dashboard-storage")}" hx-trigger="load" hx-swap="outerHTML"' in html
    assert f'href="{reverse("dashboard-bot-new")}"' in html


def test_an_empty_dashboard_invites_to_create_the_first_bot(owner_client):
    html = owner_client.get(reverse("dashboard")).content.decode()
    assert "No bots yet — create your first bot" in html
    assert html.count(f'href="{reverse("dashboard-bot-new")}"') == 2  # the header's button and the empty state's


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_dashboard_costs_the_same_queries_for_1_or_5_bots(owner_client, user, django_assert_num_queries):
    BotFactory(user=user)
    one = _queries(owner_client, reverse("dashboard"))
    BotFactory.create_batch(4, user=user, status=BotStatus.FAILED, activation_error="no", documents_processed=2)
    # session, user, the counts, the list
    with django_assert_num_queries(4):
        owner_client.get(reverse("dashboard"))
    assert one == 4


def test_the_bot_page_costs_the_same_queries_whatever_the_documents(owner_client, user, django_assert_num_queries):
    few = BotFactory(user=user)
    many = BotFactory(user=user, documents_processed=5, local_files_stored=5)
    for index in range(5):
        Document.objects.create(bot=many, name=f"doc-{index}.txt", type="text/plain", size=10)
    assert _queries(owner_client, reverse("dashboard-bot", args=[few.uuid])) == 3
    # session, user, the bot
    with django_assert_num_queries(3):
        owner_client.get(reverse("dashboard-bot", args=[many.uuid]))


def test_the_status_fragment_costs_a_fixed_number_of_queries(owner_client, user, django_assert_num_queries):
    BotFactory.create_batch(4, user=user)
    active = BotFactory(user=user, active=True)
    waiting = BotFactory(user=user, activation_scheduled_at=FUTURE)
    with django_assert_num_queries(3):  # session, user, the bot
        owner_client.get(reverse("dashboard-bot-status", args=[active.uuid]))
    with django_assert_num_queries(3):  # a pending bot not yet due: the same, no second read (issue 16)
        owner_client.get(reverse("dashboard-bot-status", args=[waiting.uuid]))


# --- The status fragment ----------------------------------------------------------------------------------------


def test_the_status_polls_while_pending_and_stops_once_active(owner_client, user):
    bot = BotFactory(user=user, activation_scheduled_at=FUTURE)
    url = reverse("dashboard-bot-status", args=[bot.uuid])

    pending = owner_client.get(url).content.decode()
    assert f'hx-get="{url}" hx-trigger="every 2s" hx-swap="outerHTML"' in pending
    assert "badge-pending" in pending
    assert "Pending" in pending

    Bot.objects.filter(pk=bot.pk).update(status=BotStatus.ACTIVATING)
    assert 'hx-trigger="every 2s"' in owner_client.get(url).content.decode()

    Bot.objects.filter(pk=bot.pk).update(status=BotStatus.ACTIVE)
    active = owner_client.get(url).content.decode()
    assert "badge-active" in active
    assert "Active" in active
    assert "hx-trigger" not in active
    assert "hx-get" not in active


def test_a_failed_status_says_why_and_offers_to_re_activate(owner_client, user):
    bot = BotFactory(user=user, status=BotStatus.FAILED, activation_error="VAPI refused the voice")
    html = owner_client.get(reverse("dashboard-bot-status", args=[bot.uuid])).content.decode()
    assert "badge-failed" in html
    assert "VAPI refused the voice" in html
    assert "hx-trigger" not in html
    assert f'action="{reverse("dashboard-bot-reactivate", args=[bot.uuid])}"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db(transaction=True)  # the activation runs when the view's own transaction commits
def test_polling_a_due_bot_activates_it_as_the_api_status_route_does(owner_client, user, vapi):
    bot = BotFactory(user=user, name="Due bot")
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_due"}, status=201)

    html = owner_client.get(reverse("dashboard-bot-status", args=[bot.uuid])).content.decode()

    assert "badge-active" in html
    assert "hx-trigger" not in html
    assert requests_to(vapi, "POST", "/assistant")[0].get_json()["name"] == "Due bot"


# --- Re-activate ------------------------------------------------------------------------------------------------


def test_re_activating_a_failed_bot_starts_again(owner_client, user, vapi, django_capture_on_commit_callbacks):
    bot = BotFactory(user=user, status=BotStatus.FAILED, activation_error="VAPI was down")
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_again"}, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("dashboard-bot-reactivate", args=[bot.uuid]), follow=True)

    assert response.redirect_chain == [(reverse("dashboard-bot", args=[bot.uuid]), 302)]
    assert "Re-activating “" in response.content.decode()
    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE
    assert bot.activation_error is None
    assert bot.vapi_assistant_id == "asst_again"


def test_re_activating_with_htmx_answers_the_status_fragment(owner_client, user):
    bot = BotFactory(user=user, status=BotStatus.FAILED, activation_error="VAPI was down")

    response = owner_client.post(reverse("dashboard-bot-reactivate", args=[bot.uuid]), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="bot-status"')
    assert "badge-pending" in html
    assert 'hx-trigger="every 2s"' in html
    bot.refresh_from_db()
    assert bot.status == BotStatus.PENDING


def test_only_a_failed_bot_can_be_re_activated(owner_client, bot):
    response = owner_client.post(reverse("dashboard-bot-reactivate", args=[bot.uuid]), follow=True)
    assert "Only a failed bot can be re-activated; this one is active" in response.content.decode()
    bot.refresh_from_db()
    assert bot.status == BotStatus.ACTIVE


def test_re_activate_is_post_only(owner_client, user):
    bot = BotFactory(user=user, status=BotStatus.FAILED)
    assert owner_client.get(reverse("dashboard-bot-reactivate", args=[bot.uuid])).status_code == 405


# --- Create -----------------------------------------------------------------------------------------------------


def test_the_new_bot_form_labels_every_control_and_has_the_api_defaults(owner_client):
    html = owner_client.get(reverse("dashboard-bot-new")).content.decode()
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", html)
    ids = [re.search(r'id="([^"]+)"', control) for control in controls if 'type="hidden"' not in control]
    assert len(ids) >= 10
    assert all(ids), "every visible control has an id"
    for match in ids:
        assert f'for="{match.group(1)}"' in html, f"#{match.group(1)} has no label"
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="tz" value="UTC" data-browser-tz' in html
    assert re.search(r'<option value="en" selected>', html)
    assert re.search(r'<option value="jennifer" selected>Jennifer</option>', html)
    assert re.search(r'name="position" value="right" checked', html)
    assert re.search(r'name="theme" value="light" checked', html)
    assert 'type="file" id="id_files" name="files" multiple' in html
    assert f"up to {settings.MAX_UPLOAD_MB} MB each" in html


def test_creating_a_bot_opens_its_page_with_the_embed_code(owner_client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        response = owner_client.post(reverse("dashboard-bot-new"), valid_form(rag_enabled="on", rag_url=""))

    bot = Bot.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard-bot", args=[bot.uuid])
    assert (bot.name, bot.language, bot.voice, bot.position, bot.theme) == (
        "Support bot",
        "fr",
        "david",
        "LEFT",
        "DARK",
    )
    assert bot.rag_enabled
    assert bot.rag_source_type == RagSourceType.FILES
    assert bot.status == BotStatus.PENDING
    assert queued, "the activation is queued for after the commit"

    page = owner_client.get(response["Location"]).content.decode()
    assert "Bot “Support bot” created." in page
    assert '<pre id="embed-code" class="code-block">&lt;script defer src=' in page
    assert f"data-chatbot-uuid=&quot;{bot.uuid}&quot;" in page
    assert 'data-copy-target="#embed-code"' in page
    assert f'href="{reverse("test-embed")}?bot={bot.uuid}"' in page
    assert f'hx-get="{reverse("dashboard-bot-knowledge", args=[bot.uuid])}" hx-trigger="load"' in page


def test_creating_a_bot_activates_it_on_vapi(owner_client, user, vapi, django_capture_on_commit_callbacks):
    vapi.expect_request("/assistant", method="POST").respond_with_json({"id": "asst_new"}, status=201)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("dashboard-bot-new"), valid_form(name="Reception"))

    bot = Bot.objects.get(user=user)
    assert bot.status == BotStatus.ACTIVE
    body = requests_to(vapi, "POST", "/assistant")[0].get_json()
    assert body["name"] == "Reception"
    assert body["firstMessage"] == "Hi! Ask me anything about Example Inc."
    assert body["transcriber"]["language"] == "fr"


def test_a_scheduled_activation_is_read_in_the_browsers_time_zone(owner_client, user):
    owner_client.post(
        reverse("dashboard-bot-new"), valid_form(activation_scheduled_at="2031-07-01T09:30", tz="Europe/Paris")
    )
    bot = Bot.objects.get(user=user)
    assert bot.activation_scheduled_at == datetime.datetime(2031, 7, 1, 7, 30, tzinfo=datetime.UTC)


def test_without_a_time_zone_the_schedule_is_utc(owner_client, user):
    owner_client.post(reverse("dashboard-bot-new"), valid_form(activation_scheduled_at="2031-07-01T09:30", tz=""))
    bot = Bot.objects.get(user=user)
    assert bot.activation_scheduled_at == datetime.datetime(2031, 7, 1, 9, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("schedule", "tz", "message"),
    [
        ("2031-07-01T09:30", "Mars/Olympus_Mons", "Unknown time zone: Mars/Olympus_Mons"),
        ("2031-07-01T09:30", "../../etc/passwd", "Unknown time zone: ../../etc/passwd"),
        ("next tuesday", "UTC", "Enter a date and time."),
    ],
)
def test_a_bad_schedule_is_an_error_at_its_field(owner_client, user, schedule, tz, message):
    response = owner_client.post(reverse("dashboard-bot-new"), valid_form(activation_scheduled_at=schedule, tz=tz))
    assert response.status_code == 200
    assert message in field_html(response.content.decode(), "id_activation_scheduled_at")
    assert not Bot.objects.exists()


def test_invalid_data_shows_each_error_next_to_its_field_and_keeps_the_values(owner_client):
    response = owner_client.post(
        reverse("dashboard-bot-new"),
        valid_form(name="  ", language="not a language!", voice="robot", rag_enabled="on", rag_url="ftp://x.test"),
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert not Bot.objects.exists()
    name = field_html(html, "id_name")
    assert 'class="field field-error"' in name
    assert 'aria-invalid="true"' in name
    assert 'aria-describedby="name-errors"' in name
    assert '<ul class="errorlist" id="name-errors"><li>This field may not be blank.</li></ul>' in name
    assert "&quot;not a language!&quot; is not a supported language. Use one of: en, " in field_html(
        html, "id_language"
    )
    assert '<option value="not a language!" selected>' in html  # the value stays, even when it is not offered
    assert "is not a valid choice." in field_html(html, "id_voice")
    assert "Enter an http or https URL." in field_html(html, "id_rag_url")
    # The summary at the top links to each control; the values are kept.
    summary = html[html.index('id="form-errors"') : html.index("</ul>", html.index('id="form-errors"'))]
    assert '<a href="#id_name">Name: This field may not be blank.</a>' in summary
    assert '<a href="#id_rag_url">Website address: Enter an http or https URL.</a>' in summary
    assert "4 problems to fix" in html
    assert "Hi! Ask me anything about Example Inc.</textarea>" in html
    assert re.search(r'name="position" value="left" checked', html)
    assert re.search(r'id="id_rag_enabled" name="rag_enabled" value="on" checked', html)


def test_a_website_knowledge_base_needs_its_url(owner_client):
    response = owner_client.post(
        reverse("dashboard-bot-new"), valid_form(rag_enabled="on", rag_source_type="url", rag_url="")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "A website URL is needed when the knowledge base is a URL." in field_html(html, "id_rag_url")
    assert re.search(r'name="rag_source_type" value="url" checked', html)
    assert not Bot.objects.exists()


def test_creating_with_files_stores_them_in_the_knowledge_base(owner_client, user, media):
    files = [
        SimpleUploadedFile("faq.txt", b"Opening hours: nine to five.", content_type="text/plain"),
        SimpleUploadedFile("prices.md", b"# Prices\nTen euros.", content_type="text/markdown"),
    ]
    response = owner_client.post(reverse("dashboard-bot-new"), {**valid_form(rag_enabled="on"), "files": files})

    bot = Bot.objects.get(user=user)
    assert response.status_code == 302
    assert sorted(Document.objects.filter(bot=bot).values_list("name", flat=True)) == ["faq.txt", "prices.md"]
    assert bot.local_files_stored == 2


def test_files_are_ignored_when_the_knowledge_base_is_not_files(owner_client, user, media):
    upload = SimpleUploadedFile("faq.txt", b"Opening hours.", content_type="text/plain")
    owner_client.post(reverse("dashboard-bot-new"), {**valid_form(), "files": [upload]})  # RAG off, as the API
    assert not Document.objects.exists()
    assert Bot.objects.filter(user=user).exists()


def test_a_file_of_an_unsupported_type_is_a_415_form_error_and_nothing_is_created(owner_client, media):
    upload = SimpleUploadedFile("tool.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = owner_client.post(reverse("dashboard-bot-new"), {**valid_form(rag_enabled="on"), "files": [upload]})

    assert response.status_code == 415
    assert "tool.pdf: only PDF, DOCX, TXT, MD, CSV, JSON and HTML files are accepted" in field_html(
        response.content.decode(), "id_files"
    )
    assert not Bot.objects.exists()
    assert not Document.objects.exists()


def test_a_file_over_the_limit_is_a_413_form_error_with_the_values_kept(owner_client, settings, media):
    settings.MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("manual.txt", b"x" * (1024 * 1024 + 1), content_type="text/plain")
    small = SimpleUploadedFile("faq.txt", b"Opening hours.", content_type="text/plain")
    response = owner_client.post(reverse("dashboard-bot-new"), {**valid_form(rag_enabled="on"), "files": [small, big]})

    html = response.content.decode()
    assert response.status_code == 413
    files = field_html(html, "id_files")
    assert "manual.txt is larger than 1 MB" in files
    assert "choose them again" in files
    assert 'value="Support bot"' in html
    assert not Bot.objects.exists()
    assert not Document.objects.exists()


def test_a_request_over_the_request_limit_is_refused_before_it_is_read(owner_client, settings, media):
    settings.MAX_UPLOAD_REQUEST_MB = 1
    big = SimpleUploadedFile("manual.txt", b"x" * (1024 * 1024 + 1), content_type="text/plain")
    response = owner_client.post(reverse("dashboard-bot-new"), {**valid_form(rag_enabled="on"), "files": [big]})

    assert response.status_code == 413
    assert "The upload is larger than 1 MB" in field_html(response.content.decode(), "id_files")
    assert not Bot.objects.exists()


def test_the_create_form_checks_the_csrf_token(client, user):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(reverse("dashboard-bot-new"), valid_form())
    assert response.status_code == 403
    assert not Bot.objects.exists()


# --- Edit -------------------------------------------------------------------------------------------------------


def test_the_bot_page_shows_the_form_filled_in(owner_client, bot):
    html = owner_client.get(reverse("dashboard-bot", args=[bot.uuid])).content.decode()
    assert 'value="Front desk"' in html
    assert "enctype" not in html.split("data-bot-form", 1)[1].split(">", 1)[0]
    assert 'type="file"' not in html  # uploads are the knowledge section's
    assert "id_activation_scheduled_at" not in html  # an active bot is past its schedule
    assert f'action="{reverse("dashboard-bot", args=[bot.uuid])}"' in html
    assert f'href="{reverse("dashboard-bot-delete", args=[bot.uuid])}"' in html


def test_a_pending_bot_shows_its_schedule_in_utc_for_the_browser_to_convert(owner_client, user):
    bot = BotFactory(user=user, activation_scheduled_at=datetime.datetime(2031, 7, 1, 7, 30, 12, tzinfo=datetime.UTC))
    html = owner_client.get(reverse("dashboard-bot", args=[bot.uuid])).content.decode()
    assert 'value="2031-07-01T07:30"' in html
    assert 'data-utc="2031-07-01T07:30:00+00:00"' in html


def test_editing_a_bot_saves_it_and_rebuilds_its_embed_code(owner_client, bot, settings):
    settings.PUBLIC_BASE_URL = "https://bots.example.com"
    response = owner_client.post(
        reverse("dashboard-bot", args=[bot.uuid]),
        valid_form(name="Front desk 2", position="left", theme="dark", rag_enabled="on", rag_source_type="files"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard-bot", args=[bot.uuid])
    bot.refresh_from_db()
    assert (bot.name, bot.position, bot.theme, bot.language, bot.rag_enabled) == (
        "Front desk 2",
        "LEFT",
        "DARK",
        "fr",
        True,
    )
    assert 'data-position="left" data-theme="dark"' in bot.embed_code
    assert "Changes saved." in owner_client.get(response["Location"]).content.decode()


def test_unticking_the_knowledge_base_turns_it_off(owner_client, user):
    bot = BotFactory(user=user, rag_enabled=True, rag_source_type=RagSourceType.URL, rag_url="https://example.com")
    owner_client.post(
        reverse("dashboard-bot", args=[bot.uuid]), valid_form(rag_source_type="url", rag_url="https://example.com")
    )
    bot.refresh_from_db()
    assert bot.rag_enabled is False
    assert bot.rag_url == "https://example.com"


def test_an_untouched_schedule_is_not_moved(owner_client, user):
    scheduled = datetime.datetime(2031, 7, 1, 7, 30, 12, tzinfo=datetime.UTC)
    bot = BotFactory(user=user, activation_scheduled_at=scheduled)
    owner_client.post(
        reverse("dashboard-bot", args=[bot.uuid]),
        valid_form(activation_scheduled_at="2031-07-01T09:30", tz="Europe/Paris"),
    )
    bot.refresh_from_db()
    assert bot.activation_scheduled_at == scheduled
    assert bot.name == "Support bot"


def test_an_invalid_edit_changes_nothing_and_shows_the_errors(owner_client, bot):
    response = owner_client.post(reverse("dashboard-bot", args=[bot.uuid]), valid_form(welcome_message=""))
    assert response.status_code == 200
    assert "This field may not be blank." in field_html(response.content.decode(), "id_welcome_message")
    bot.refresh_from_db()
    assert bot.name == "Front desk"


# --- Delete -----------------------------------------------------------------------------------------------------


def test_deleting_asks_first_then_deletes_the_bot_and_everything_it_has(owner_client, bot, media):
    Document.objects.create(bot=bot, name="faq.txt", type="text/plain", size=10)
    SessionFactory(bot=bot)
    CallFactory(bot=bot)
    url = reverse("dashboard-bot-delete", args=[bot.uuid])

    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "Delete “Front desk”?" in confirm.content.decode()
    assert Bot.objects.filter(pk=bot.pk).exists()

    response = owner_client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    assert "Bot “Front desk” deleted." in response.content.decode()
    assert not Bot.objects.filter(pk=bot.pk).exists()
    assert not Document.objects.exists()
    assert not Session.objects.exists()
    assert not Call.objects.exists()


def test_the_language_select_offers_the_apis_list(owner_client):
    import re

    from bots.languages import language_choices

    html = owner_client.get(reverse("dashboard-bot-new")).content.decode()
    select = html[html.index('name="language"') : html.index("</select>", html.index('name="language"'))]

    assert re.findall(r'<option value="([^"]+)"', select) == [code for code, _ in language_choices()]
    assert "en-au" not in select
    assert "Arabic" not in select
