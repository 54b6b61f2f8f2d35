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
