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
    assert {"transcript", "summary"} <= response.context["cl"].result_list[0].get_deferred_fields()


def test_call_change_page_links_the_recording_but_never_a_script_url(staff_client):
    safe = CallFactory(recording="https://storage.example/rec.wav")
    unsafe = CallFactory(recording="javascript:alert(1)")

    safe_page = staff_client.get(f"/admin/analytics/call/{safe.pk}/change/").content.decode()
    unsafe_page = staff_client.get(f"/admin/analytics/call/{unsafe.pk}/change/").content.decode()

    assert 'href="https://storage.example/rec.wav"' in safe_page
    assert 'href="javascript:' not in unsafe_page
