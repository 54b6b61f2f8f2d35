from django import forms
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html

from accounts.models import DeletedClerkUser, User
from common.admin_tools import (
    BrowserAdmin,
    ReadOnlyAdmin,
    changelist_link,
    count_of,
    datetime_column,
    export_as_csv,
)

# Branding is in templates/admin/base_site.html.
admin.site.index_title = "Data browser"
# "Export selected as CSV" on every changelist of the site.
admin.site.add_action(export_as_csv, "export_as_csv")


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeForm(auth_forms.UserChangeForm):
    image_url = forms.URLField(label="Image URL", max_length=2048, required=False, assume_scheme="https")

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin, BrowserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    # What tells users apart at a glance; the Clerk id and the last sign-in are on the user's page.
    list_display = ("email_address", "full_name", "bots_count", "staff", "active", "created")
    list_display_extra = ("id", "last_login", "updated_at")
    list_filter = ("is_staff", "is_superuser", "is_active", "created_at", "updated_at", "last_login")
    search_fields = ("email", "id", "first_name", "last_name")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "created_at", "updated_at", "last_login", "related_records")
    fieldsets = (
        # Their bots, calls and sessions first, beside who they are: the reason to open a user's page.
        (None, {"fields": ("id", "email", "related_records", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "image_url")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("created_at", "updated_at", "last_login")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(bots_count=count_of(User, "bots"))

    created = datetime_column("created_at", "Created")

    @admin.display(description="Email", ordering="email")
    def email_address(self, obj: User) -> str:
        # A long address may wrap before its "@" rather than widen the list.
        local, at, domain = obj.email.rpartition("@")
        return format_html("{}<wbr>{}{}", local, at, domain) if at else obj.email

    # Short headers: Django's "is staff" and "is active" are the widest things in their columns.
    @admin.display(description="Staff", boolean=True, ordering="is_staff")
    def staff(self, obj: User) -> bool:
        return obj.is_staff

    @admin.display(description="Active", boolean=True, ordering="is_active")
    def active(self, obj: User) -> bool:
        return obj.is_active

    @admin.display(description="Name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name() or "—"

    @admin.display(description="Bots", ordering="bots_count")
    def bots_count(self, obj: User) -> str:
        return changelist_link(User.bots.rel.related_model, obj.bots_count, user=obj.pk)


@admin.register(DeletedClerkUser)
class DeletedClerkUserAdmin(ReadOnlyAdmin):
    """Clerk users deleted by Clerk (``user.deleted``): kept so that they stay deleted. Read-only: a tombstone is
    Clerk's word, and Clerk never gives its id to anyone else."""

    list_display = ("id", "deleted_at")
    list_filter = ("deleted_at",)
    search_fields = ("id",)
    ordering = ("-deleted_at",)
    date_hierarchy = "deleted_at"
    readonly_fields = ("id", "deleted_at")
