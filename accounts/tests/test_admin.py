import pytest
from django.utils import timezone

from accounts.models import DeletedClerkUser, User
from accounts.tests.admin_smoke import AdminSmoke, today
from accounts.tests.factories import UserFactory
from bots.tests.factories import BotFactory

pytestmark = pytest.mark.django_db


class TestUserAdmin(AdminSmoke):
    model = User
    changelist_queries = 7

    def make(self, **kwargs):
        user = UserFactory(**kwargs)
        BotFactory.create_batch(2, user=user)
        return user

    def search_term(self, obj):
        return obj.email

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"is_staff__exact": "0"},
            {"is_active__exact": "1"},
            {"created_at__year": str(now.year), "created_at__month": str(now.month)},
            {"created_at__gte": today()},
            {"last_login__isnull": "True"},
        ]


def test_user_changelist_counts_and_links_their_bots(staff_client):
    user = UserFactory()
    BotFactory.create_batch(3, user=user)

    response = staff_client.get("/admin/accounts/user/", {"q": user.email})

    assert response.context["cl"].result_list[0].bots_count == 3
    assert f'href="/admin/bots/bot/?user={user.pk}">3</a>' in response.content.decode()


def test_user_change_page_links_every_related_table(staff_client):
    user = UserFactory()
    BotFactory.create_batch(2, user=user)

    response = staff_client.get(f"/admin/accounts/user/{user.pk}/change/")

    content = response.content.decode()
    assert f'href="/admin/bots/bot/?user={user.pk}">2 bots</a>' in content
    assert f'href="/admin/analytics/call/?user={user.pk}">0 calls</a>' in content
    assert f'href="/admin/analytics/session/?user={user.pk}">0 sessions</a>' in content


def test_staff_can_add_a_user_with_a_generated_local_id(staff_client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "new.staff@example.com",
            "usable_password": "true",
            "password1": "c0rrect-h0rse",
            "password2": "c0rrect-h0rse",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(email="new.staff@example.com")
    assert created.id.startswith("local_c")
    assert created.check_password("c0rrect-h0rse")


class TestDeletedClerkUserAdmin(AdminSmoke):
    model = DeletedClerkUser
    changelist_queries = 7

    def make(self, **kwargs):
        return DeletedClerkUser.objects.create(id=f"user_gone{DeletedClerkUser.objects.count():04d}", **kwargs)

    def search_term(self, obj):
        return obj.id

    def filters_matching(self, obj):
        now = timezone.now()
        return [
            {"deleted_at__year": str(now.year), "deleted_at__month": str(now.month)},
            {"deleted_at__gte": today()},
        ]


def test_tombstones_cannot_be_added_or_edited_in_the_admin(staff_client):
    tombstone = DeletedClerkUser.objects.create(id="user_gone")

    assert staff_client.get("/admin/accounts/deletedclerkuser/add/").status_code == 403
    response = staff_client.post(f"/admin/accounts/deletedclerkuser/{tombstone.pk}/change/", {"id": "user_other"})
    assert response.status_code == 403
    assert DeletedClerkUser.objects.get().pk == "user_gone"


def test_related_records_come_first_on_a_user_page_and_say_one_in_the_singular(staff_client):
    user = UserFactory()
    BotFactory(user=user)

    content = staff_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert f'href="/admin/bots/bot/?user={user.pk}">1 bot</a>' in content
    assert content.index("Related records") < content.index('name="user_permissions"')


def test_tombstones_read_view_not_change(staff_client):
    tombstone = DeletedClerkUser.objects.create(id="user_gone")

    content = staff_client.get(f"/admin/accounts/deletedclerkuser/{tombstone.pk}/change/").content.decode()

    assert "<h1>View deleted Clerk user</h1>" in content
    assert 'name="_save"' not in content


# --- Extra columns, chosen by staff ---------------------------------------------------------------------------


def _browser_admins_with_extra_columns():
    from django.contrib import admin

    return [
        model_admin for model_admin in admin.site._registry.values() if getattr(model_admin, "list_display_extra", ())
    ]


@pytest.mark.parametrize(
    "model_admin", _browser_admins_with_extra_columns(), ids=lambda model_admin: model_admin.opts.label_lower
)
def test_staff_add_extra_columns_at_no_cost_per_row_and_remove_them(staff_client, model_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.tests import admin_smoke
    from analytics.tests.test_admin import TestCallAdmin, TestSessionAdmin
    from bots.tests.test_admin import TestBotAdmin
    from documents.tests.test_admin import TestDocumentAdmin

    smoke = {
        "accounts.user": TestUserAdmin,
        "bots.bot": TestBotAdmin,
        "documents.document": TestDocumentAdmin,
        "analytics.session": TestSessionAdmin,
        "analytics.call": TestCallAdmin,
    }[model_admin.opts.label_lower]()
    assert isinstance(smoke, admin_smoke.AdminSmoke)
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    extras = list(model_admin.list_display_extra)

    chosen = staff_client.get(url, [("_columns", ""), *(("_columns", name) for name in extras), ("o", "1")])
    assert chosen.status_code == 302
    assert chosen["Location"] == f"{url}?o=1"  # the list as it was, the choice remembered

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url)
            assert response.status_code == 200
        assert list(response.context["cl"].list_display)[-len(extras) :] == extras
        return len(queries)

    smoke.make()
    first = count()
    for _ in range(5):
        smoke.make()
    assert count() == first  # no column loads anything per row

    staff_client.get(url, {"_columns": ""})  # all unchecked
    assert not set(extras) & set(staff_client.get(url).context["cl"].list_display)
