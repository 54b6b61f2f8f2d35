import pytest
from django.utils import timezone

from accounts.tests.admin_smoke import AdminSmoke, today
from analytics.models import Call, Session
from analytics.tests.factories import CallFactory, SessionFactory

pytestmark = pytest.mark.django_db


class TestSessionAdmin(AdminSmoke):
    model = Session
    changelist_queries = 6

    def make(self, **kwargs):
        return SessionFactory(**kwargs)

    def search_term(self, obj):
        return obj.session_id

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"state": "completed"},
            {"start_time__gte": today()},
            {"end_time__isnull": "False"},
            {"start_time__year": str(now.year), "start_time__month": str(now.month)},
            {"bot": obj.bot_id},
            {"user": obj.user_id},
        ]


class TestCallAdmin(AdminSmoke):
    model = Call
    changelist_queries = 6

    def make(self, **kwargs):
        return CallFactory(**kwargs)

    def search_term(self, obj):
        return obj.vapi_call_id

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"status__exact": "ENDED"},
            {"created_at__gte": today()},
            {"started_at__isnull": "False"},
            {"ended_at__isnull": "False"},
            {"created_at__year": str(now.year), "created_at__month": str(now.month)},
            {"bot": obj.bot_id},
        ]


def test_session_state_filter_splits_active_and_completed(staff_client):
    active, completed = SessionFactory(end_time=None), SessionFactory()

    for state, expected in (("active", active), ("completed", completed)):
        response = staff_client.get("/admin/analytics/session/", {"state": state})
        assert list(response.context["cl"].result_list) == [expected]


def test_call_changelist_shows_cost_duration_and_owner_without_loading_transcripts(staff_client):
    call = CallFactory(cost=0.5, duration=125)

    response = staff_client.get("/admin/analytics/call/")

    content = response.content.decode()
    assert "$0.5000" in content
    assert "2:05" in content
    assert call.user.email in content
    assert {"transcript", "summary", "messages", "analysis"} <= response.context["cl"].result_list[
        0
    ].get_deferred_fields()


def test_call_change_page_links_the_recording_but_never_a_script_url(staff_client):
    safe = CallFactory(recording="https://storage.example/rec.wav")
    unsafe = CallFactory(recording="javascript:alert(1)")

    safe_page = staff_client.get(f"/admin/analytics/call/{safe.pk}/change/").content.decode()
    unsafe_page = staff_client.get(f"/admin/analytics/call/{unsafe.pk}/change/").content.decode()

    assert 'href="https://storage.example/rec.wav"' in safe_page
    assert 'href="javascript:' not in unsafe_page


# --- Read-only records ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "path", "title"), [(CallFactory, "call", "View call"), (SessionFactory, "session", "View session")]
)
def test_calls_and_sessions_are_viewed_not_changed(staff_client, factory, path, title):
    record = factory()

    response = staff_client.get(f"/admin/analytics/{path}/{record.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{title}</h1>" in content
    assert 'name="_save"' not in content
    assert staff_client.post(f"/admin/analytics/{path}/{record.pk}/change/", {}).status_code == 403


def test_staff_with_the_view_permission_only_browse_and_export_calls(client):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_call"))
    client.force_login(viewer)
    call = CallFactory()

    assert client.get("/admin/analytics/call/").status_code == 200
    assert "<h1>View call</h1>" in client.get(f"/admin/analytics/call/{call.pk}/change/").content.decode()
    export = client.post("/admin/analytics/call/", {"action": "export_as_csv", "_selected_action": [call.pk]})
    assert export["Content-Type"] == "text/csv; charset=utf-8"


# --- A call's conversation and analysis -------------------------------------------------------------------------


def test_call_page_shows_the_conversation_and_the_raw_analysis_escaped(staff_client):
    call = CallFactory(
        messages=[
            {"role": "bot", "message": "Hello! How can I help?", "time": 1, "secondsFromStart": 0.4},
            {"role": "user", "message": "<script>alert(1)</script> opening hours?", "secondsFromStart": 65.2},
        ],
        analysis={"summary": "Asked for <b>hours</b>.", "successEvaluation": "true", "structuredData": {"a": 1}},
    )

    content = staff_client.get(f"/admin/analytics/call/{call.pk}/change/").content.decode()

    assert '<span class="call-role">Bot</span> <span class="call-offset">0:00</span> Hello! How can I help?' in content
    assert (
        '<span class="call-role">Caller</span> <span class="call-offset">1:05</span> '
        "&lt;script&gt;alert(1)&lt;/script&gt; opening hours?" in content
    )
    assert "<script>alert(1)" not in content
    assert '<pre class="call-analysis">{\n  &quot;structuredData&quot;: {\n    &quot;a&quot;: 1\n  },' in content
    assert "Asked for &lt;b&gt;hours&lt;/b&gt;." in content


def test_call_page_without_messages_or_analysis_shows_dashes(staff_client):
    call = CallFactory(messages=None, analysis=None)

    response = staff_client.get(f"/admin/analytics/call/{call.pk}/change/")

    admin = response.context["adminform"].model_admin
    assert admin.conversation(call) == "—"
    assert admin.analysis_json(call) == "—"
    assert 'class="call-conversation"' not in response.content.decode()


# --- Filters that scale: autocomplete for bot and owner, typed ranges and text -------------------------------------


def _listed(staff_client, path, params):
    response = staff_client.get(f"/admin/analytics/{path}/", params)
    assert response.status_code == 200, response.get("Location")
    return response, set(response.context["cl"].result_list)


def test_calls_filter_by_bot_and_owner_and_the_page_says_which(staff_client):
    from bots.tests.factories import BotFactory

    bot = BotFactory(active=True, name="Aurora concierge")
    call, other = CallFactory(bot=bot), CallFactory()

    response, listed = _listed(staff_client, "call", {"bot": bot.pk})
    assert listed == {call}
    content = response.content.decode()
    assert "Showing calls of bot Aurora concierge" in content
    assert '— <a href="?">show all</a>' in content
    # The picked bot is the select's one option: the sidebar never lists every bot or user.
    assert f'<option value="{bot.pk}" selected>Aurora concierge</option>' in content

    response, listed = _listed(staff_client, "call", {"user": other.user_id})
    assert listed == {other}
    assert f"Showing calls of owner {other.user.email}" in response.content.decode()


def test_the_autocomplete_behind_the_bot_filter_answers(staff_client):
    from bots.tests.factories import BotFactory

    bot = BotFactory(name="Aurora concierge")
    BotFactory(name="Other")

    response = staff_client.get(
        "/admin/autocomplete/", {"app_label": "analytics", "model_name": "call", "field_name": "bot", "term": "Auro"}
    )

    assert response.json()["results"] == [{"id": bot.pk, "text": "Aurora concierge"}]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cost__gte": "0.2"}, {"dear"}),
        ({"cost__lte": "0.2"}, {"cheap"}),
        ({"duration__gte": "60", "duration__lte": "600"}, {"dear"}),
        ({"message_count__gte": "10"}, {"dear"}),
        ({"ended_reason__icontains": "customer-ended"}, {"cheap"}),
        ({"type__icontains": "PHONE"}, {"dear"}),
        ({"q": "customer-ended"}, {"cheap"}),
        ({"cost__gte": "", "cost__lte": ""}, {"cheap", "dear"}),  # an empty form is no filter
    ],
)
def test_calls_filter_by_cost_duration_messages_ended_reason_and_type(staff_client, params, expected):
    calls = {
        "cheap": CallFactory(cost=0.1, duration=30, message_count=2, ended_reason="customer-ended-call"),
        "dear": CallFactory(
            cost=0.9, duration=300, message_count=24, ended_reason="silence-timed-out", type="inboundPhoneCall"
        ),
    }

    _, listed = _listed(staff_client, "call", params)

    assert listed == {calls[name] for name in expected}


def test_the_active_filters_line_names_ranges_and_text(staff_client):
    CallFactory(cost=0.5)

    response = staff_client.get(
        "/admin/analytics/call/", {"cost__gte": "0.2", "cost__lte": "1", "ended_reason__icontains": "customer"}
    )

    content = response.content.decode()
    assert "Showing calls of ended reason contains “customer” · cost from 0.2 to 1" in content


def test_a_range_that_is_not_a_number_is_the_admins_invalid_filter_page(staff_client):
    response = staff_client.get("/admin/analytics/call/", {"cost__gte": "cheap"})

    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_a_filtered_call_list_costs_the_same_queries_for_2_or_12_rows(staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call = CallFactory(cost=0.5)
    params = {"bot": call.bot_id, "user": call.user_id, "cost__gte": "0.1", "ended_reason__icontains": "ended"}

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get("/admin/analytics/call/", params)
            assert response.status_code == 200
        return len(queries)

    CallFactory(bot=call.bot)
    first = count()
    CallFactory.create_batch(10, bot=call.bot)
    # The unfiltered list's 6 queries, plus one per picked bot or owner for its name.
    assert (first, count()) == (TestCallAdmin.changelist_queries + 2, TestCallAdmin.changelist_queries + 2)


def test_sessions_filter_by_bot_owner_and_interactions(staff_client):
    few, many = SessionFactory(interactions=1), SessionFactory(interactions=30)

    assert _listed(staff_client, "session", {"bot": many.bot_id})[1] == {many}
    assert _listed(staff_client, "session", {"user": few.user_id})[1] == {few}
    assert _listed(staff_client, "session", {"interactions__gte": "10"})[1] == {many}
