import pytest
from django.contrib.admin.utils import quote
from django.utils import timezone

from accounts.tests.admin_smoke import AdminSmoke, today
from analytics.tests.factories import CallFactory, SessionFactory
from bots.models import Bot
from bots.tests.factories import BotFactory
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


class TestBotAdmin(AdminSmoke):
    model = Bot
    changelist_queries = 8

    def make(self, **kwargs):
        bot = BotFactory(active=True, rag_enabled=True, rag_source_type="FILES", **kwargs)
        DocumentFactory(bot=bot)
        CallFactory(bot=bot)
        SessionFactory(bot=bot)
        return bot

    def search_term(self, obj):
        return obj.uuid

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"status__exact": "ACTIVE"},
            {"position__exact": "RIGHT"},
            {"theme__exact": "LIGHT"},
            {"rag_enabled__exact": "1"},
            {"rag_source_type__exact": "FILES"},
            {"language": "en"},
            {"activated_at__isnull": "False"},
            {"activation_scheduled_at__gte": today()},
            {"created_at__year": str(now.year), "created_at__month": str(now.month), "created_at__day": str(now.day)},
            {"user": obj.user_id},
        ]


@pytest.mark.parametrize("term", ["name", "owner_email", "owner_id", "assistant_id"])
def test_bot_search_by(staff_client, term):
    bot, other = BotFactory(active=True, name="Aurora concierge"), BotFactory(active=True)
    value = {
        "name": bot.name,
        "owner_email": bot.user.email,
        "owner_id": bot.user.pk,
        "assistant_id": bot.vapi_assistant_id,
    }[term]

    response = staff_client.get("/admin/bots/bot/", {"q": value})

    assert list(response.context["cl"].result_list) == [bot]
    assert other not in response.context["cl"].result_list


def test_bot_changelist_shows_counts_with_links_and_owner(staff_client):
    bot = BotFactory(active=True)
    DocumentFactory.create_batch(3, bot=bot)
    CallFactory.create_batch(2, bot=bot)

    response = staff_client.get("/admin/bots/bot/", {"q": bot.uuid})

    content = response.content.decode()
    assert f'href="/admin/documents/document/?bot={bot.pk}">3</a>' in content
    assert f'href="/admin/analytics/call/?bot={bot.pk}">2</a>' in content
    assert f'href="/admin/analytics/session/?bot={bot.pk}">0</a>' in content
    assert f'href="/admin/accounts/user/{quote(bot.user.pk)}/change/">{bot.user.email}</a>' in content


def test_documents_are_inline_under_their_bot(staff_client):
    bot = BotFactory()
    documents = DocumentFactory.create_batch(2, bot=bot)

    response = staff_client.get(f"/admin/bots/bot/{bot.pk}/change/")

    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.model._meta.db_table == "documents"
    assert {form.instance for form in inline.formset.forms} == set(documents)


def test_the_change_page_names_its_date_and_time_inputs_and_inline_columns(staff_client):
    # Issue 18: Django's split date/time widget labels its two inputs with plain text ("Date:", "Time:"), and the
    # tabular inline has header cells without text; axe's "label" (critical) and "empty-table-header".
    bot = BotFactory()
    DocumentFactory(bot=bot)

    html = staff_client.get(f"/admin/bots/bot/{bot.pk}/change/").content.decode()

    assert 'aria-label="Activation scheduled at: date"' in html
    assert 'aria-label="Activation scheduled at: time"' in html
    assert '<th class="original"><span class="visually-hidden">Document</span></th>' in html
    assert "<th>Delete?</th>" in html
    assert 'class="inline-scroll" tabindex="0" role="region" aria-labelledby="documents-heading"' in html


def test_external_ids_status_and_timestamps_are_read_only(staff_client):
    bot = BotFactory(active=True)
    read_only = ("uuid", "status", "vapi_assistant_id", "created_at")
    original = {field: getattr(bot, field) for field in read_only}

    response = staff_client.post(
        f"/admin/bots/bot/{bot.pk}/change/",
        _change_form(
            bot,
            uuid="forged",
            vapi_assistant_id="forged",
            created_at="2001-01-01 00:00:00",
            name="Renamed",
            status="FAILED",
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    bot.refresh_from_db()
    assert bot.name == "Renamed"
    assert {field: getattr(bot, field) for field in read_only} == original


def test_bots_are_not_added_through_the_admin(staff_client):
    assert staff_client.get("/admin/bots/bot/add/").status_code == 403


def test_an_admin_edit_goes_through_the_service(staff_client):
    bot = BotFactory(position="RIGHT")
    form = {
        "name": bot.name,
        "welcome_message": bot.welcome_message,
        "system_prompt": bot.system_prompt,
        "language": bot.language,
        "voice": bot.voice,
        "position": "LEFT",
        "theme": bot.theme,
        "activation_scheduled_at_0": "2026-01-01",
        "activation_scheduled_at_1": "00:00:00",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
    }

    staff_client.post(f"/admin/bots/bot/{bot.pk}/change/", form)

    bot.refresh_from_db()
    assert 'data-position="left"' in bot.embed_code  # the embed code follows, as for an owner's edit


def test_reactivate_action(staff_client, django_capture_on_commit_callbacks):
    failed, active = BotFactory(status="FAILED", activation_error="x"), BotFactory(active=True)

    with django_capture_on_commit_callbacks(execute=False):
        staff_client.post(
            "/admin/bots/bot/", {"action": "reactivate_failed", "_selected_action": [failed.pk, active.pk]}
        )

    failed.refresh_from_db()
    active.refresh_from_db()
    assert (failed.status, failed.activation_error) == ("PENDING", None)
    assert active.status == "ACTIVE"


def _change_form(bot, **changes):
    return {
        "name": bot.name,
        "welcome_message": bot.welcome_message,
        "system_prompt": bot.system_prompt,
        "language": bot.language,
        "voice": bot.voice,
        "position": bot.position,
        "theme": bot.theme,
        "activation_scheduled_at_0": "2026-01-01",
        "activation_scheduled_at_1": "00:00:00",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        **changes,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("voice", "not-a-voice"),
        ("language", "english!"),
        ("language", "EN"),
        ("language", "en-au"),  # VAPI's transcriber takes en-AU, as spelt
        ("language", "ga"),
        ("position", "CENTER"),
        ("theme", "NEON"),
        ("name", "n" * 101),
    ],
)
def test_the_admin_refuses_what_the_api_refuses(staff_client, client_for, field, value):
    bot = BotFactory(language="en", voice="jennifer", position="RIGHT", theme="LIGHT")
    before = Bot.objects.values().get(pk=bot.pk)
    # The API's verdict on the same value (the owner's PATCH), so that the two cannot drift apart unseen.
    api = client_for(bot.user).patch(f"/api/bots/{bot.uuid}", {field: value}, format="json")
    assert api.status_code == 400

    response = staff_client.post(f"/admin/bots/bot/{bot.pk}/change/", _change_form(bot, **{field: value}))

    assert response.status_code == 200  # the form again, with its errors
    assert field in response.context["adminform"].form.errors
    assert Bot.objects.values().get(pk=bot.pk) == before


def test_a_stored_voice_the_api_does_not_know_is_shown_and_must_be_changed(staff_client):
    bot = BotFactory(voice="not-a-voice")

    page = staff_client.get(f"/admin/bots/bot/{bot.pk}/change/").content.decode()
    assert '<option value="not-a-voice" selected>not-a-voice (not a known voice)</option>' in page

    response = staff_client.post(f"/admin/bots/bot/{bot.pk}/change/", _change_form(bot, name="Renamed"))
    assert "voice" in response.context["adminform"].form.errors
    bot.refresh_from_db()
    assert bot.name != "Renamed"


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("voice", "emma", "emma"),
        ("language", "pt-BR", "pt-BR"),
        ("position", "LEFT", "LEFT"),
        ("theme", "DARK", "DARK"),
    ],
)
def test_the_admin_saves_what_the_api_accepts(staff_client, field, value, stored):
    bot = BotFactory(language="en", voice="jennifer", position="RIGHT", theme="LIGHT")

    response = staff_client.post(f"/admin/bots/bot/{bot.pk}/change/", _change_form(bot, **{field: value}))

    assert response.status_code == 302, response.context["adminform"].form.errors
    bot.refresh_from_db()
    assert getattr(bot, field) == stored
    if field == "language":
        assert 'data-language="pt-BR"' in bot.embed_code


def test_bots_filter_by_owner_and_the_page_says_whose(staff_client):
    mine, theirs = BotFactory(), BotFactory()

    response = staff_client.get("/admin/bots/bot/", {"user": mine.user_id})

    assert list(response.context["cl"].result_list) == [mine]
    assert theirs not in response.context["cl"].result_list
    assert f"Showing bots of owner {mine.user.email}" in response.content.decode()


def test_the_admins_language_select_is_the_apis_list(staff_client):
    from bots.languages import language_choices

    bot = BotFactory(language="pt-BR")

    form = staff_client.get(f"/admin/bots/bot/{bot.pk}/change/").context["adminform"].form

    assert list(form.fields["language"].choices) == language_choices()


def test_a_stored_language_outside_the_list_is_shown_and_must_be_changed(staff_client):
    bot = BotFactory(language="en-au")

    page = staff_client.get(f"/admin/bots/bot/{bot.pk}/change/").content.decode()
    assert '<option value="en-au" selected>en-au (not a supported language)</option>' in page

    response = staff_client.post(f"/admin/bots/bot/{bot.pk}/change/", _change_form(bot, name="Renamed"))
    assert "language" in response.context["adminform"].form.errors
