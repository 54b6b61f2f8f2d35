from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from bots import services
from bots.api.serializers import BotInputSerializer
from bots.embed import public_base_url
from bots.languages import language_choices
from bots.models import Bot, BotStatus
from bots.vapi import VOICE_IDS
from common.admin_filters import autocomplete_filter
from common.admin_tools import BrowserAdmin, change_link, changelist_link, count_of, datetime_column
from common.errors import ServiceError

# Model field names of what an owner may set, mapped to the API's keys (the serializer's fields and their sources).
_API_KEYS = {field.source: key for key, field in BotInputSerializer().fields.items()}


class BotAdminForm(forms.ModelForm):
    """Staff edit a bot with the owner's rules: whatever the form holds of what an owner may set is validated by
    the API's own serializer (``BotInputSerializer``: voices, language codes, positions, themes, lengths, the
    knowledge-base URL rule), so the admin never saves what the owner's next save, the widget or VAPI would
    refuse. The voice is a select of the voices the API knows, taken from the same ``VOICE_IDS``."""

    voice = forms.ChoiceField(choices=[(name, name.title()) for name in sorted(VOICE_IDS)])
    # The languages the API takes (bots.languages: the configured transcriber's), as a select.
    language = forms.ChoiceField(choices=language_choices)
    rag_url = forms.URLField(label="RAG URL", max_length=2048, required=False, assume_scheme="https")

    class Meta:
        model = Bot
        # What the admin lets staff edit (its fieldsets minus the read-only fields); the admin names them again.
        fields = (
            "name",
            "welcome_message",
            "system_prompt",
            "language",
            "voice",
            "position",
            "theme",
            "rag_enabled",
            "rag_source_type",
            "rag_url",
            "activation_scheduled_at",
        )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.voice if self.instance.pk else None
        if stored and stored not in dict(self.fields["voice"].choices):
            # A voice saved before these rules: shown as it is (not silently replaced by the first option), and
            # refused on save like any voice the API does not know.
            self.fields["voice"].choices = [*self.fields["voice"].choices, (stored, f"{stored} (not a known voice)")]
        stored = self.instance.language if self.instance.pk else None
        if stored and stored not in dict(self.fields["language"].choices):
            # The same for a language saved before the list: shown, and refused on save.
            self.fields["language"].choices = [
                *self.fields["language"].choices,
                (stored, f"{stored} (not a supported language)"),
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        payload = {}
        for name, value in cleaned.items():
            if name in _API_KEYS:
                # The form's "nothing" is "", the API's is null.
                payload[_API_KEYS[name]] = None if value == "" and name in ("rag_source_type", "rag_url") else value
        serializer = BotInputSerializer(self.instance, data=payload, partial=True)
        if not serializer.is_valid():
            sources = {key: source for source, key in _API_KEYS.items()}
            for key, errors in serializer.errors.items():
                name = sources.get(key)
                for message in errors if isinstance(errors, list) else [errors]:
                    self.add_error(name if name in self.fields else None, str(message))
            return cleaned
        # The API's normalised values (a voice in lower case, an enum upper case).
        cleaned.update(serializer.validated_data)
        return cleaned


@admin.register(Bot)
class BotAdmin(BrowserAdmin):
    form = BotAdminForm
    # What tells bots apart at a glance, and the way to their calls; the rest is on the bot's page (its documents,
    # sessions and calls are its related records there).
    list_display = ("name", "owner", "status", "records", "created")
    list_display_extra = (
        "uuid",
        "language",
        "voice",
        "rag_enabled",
        "vapi_assistant_id",
        "activation_scheduled_at",
        "activated_at",
    )
    list_select_related = ("user",)
    list_filter = (
        ("user", autocomplete_filter("owner")),
        "status",
        "position",
        "theme",
        "rag_enabled",
        "rag_source_type",
        "language",
        "activation_scheduled_at",
        "activated_at",
        "created_at",
        "updated_at",
    )
    search_fields = ("name", "uuid", "=id", "user__email", "=user__id", "=vapi_assistant_id")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    changelist_defer = ("welcome_message", "system_prompt", "embed_code")
    readonly_fields = (
        "id",
        "uuid",
        "owner",
        # The lifecycle moves the status (activation, VAPI); a hand-set ACTIVE would have no assistant behind it.
        "status",
        "vapi_assistant_id",
        "vapi_knowledge_base_id",
        "embed_code",
        "documents_processed",
        "local_files_stored",
        "local_storage_path",
        "activated_at",
        "created_at",
        "updated_at",
        "related_records",
    )
    fieldsets = (
        (None, {"fields": ("id", "uuid", "owner", "name", "status", "related_records")}),
        ("Conversation", {"fields": ("welcome_message", "system_prompt", "language", "voice")}),
        ("Widget", {"fields": ("position", "theme", "embed_code")}),
        (
            "Knowledge base",
            {
                "fields": (
                    "rag_enabled",
                    "rag_source_type",
                    "rag_url",
                    "documents_processed",
                    "local_files_stored",
                    "local_storage_path",
                )
            },
        ),
        (
            "VAPI",
            {"fields": ("vapi_assistant_id", "vapi_knowledge_base_id", "activation_scheduled_at", "activated_at")},
        ),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )
    # Apps above this one add theirs (documents adds its inline), so that bots never imports them.
    inlines: list = []
    actions = ["reactivate_failed"]

    def save_model(self, request, obj: Bot, form, change: bool) -> None:
        # Through the service, as an owner's edit: the embed code and the VAPI assistant follow the change.
        changed = {field: form.cleaned_data[field] for field in form.changed_data if field in form.cleaned_data}
        services.bot_update(bot=obj, data=changed, base_url=public_base_url(request))

    @admin.action(description="Re-activate selected failed bots", permissions=["change"])
    def reactivate_failed(self, request, queryset) -> None:
        done = 0
        for bot in queryset.filter(status=BotStatus.FAILED):
            try:
                services.bot_reactivate(bot=bot)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{bot}: {exc.message}", messages.WARNING)
        self.message_user(request, f"Activation started again for {done} bot(s).", messages.SUCCESS)

    def has_add_permission(self, request) -> bool:
        # Bots are created by their owners through the product, which builds the embed code and schedules the
        # activation; a row added here would skip both.
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                documents_count=count_of(Bot, "documents"),
                sessions_count=count_of(Bot, "sessions"),
                calls_count=count_of(Bot, "calls"),
            )
        )

    @admin.display(description="Owner", ordering="user__email")
    def owner(self, obj: Bot) -> str:
        return change_link(obj.user, obj.user.email)

    created = datetime_column("created_at", "Created")

    @admin.display(description="Docs · sessions · calls")
    def records(self, obj: Bot) -> str:
        return format_html("{} · {} · {}", self.documents_count(obj), self.sessions_count(obj), self.calls_count(obj))

    @admin.display(description="Documents", ordering="documents_count")
    def documents_count(self, obj: Bot) -> str:
        return changelist_link(Bot.documents.rel.related_model, obj.documents_count, bot=obj.pk)

    @admin.display(description="Sessions", ordering="sessions_count")
    def sessions_count(self, obj: Bot) -> str:
        return changelist_link(Bot.sessions.rel.related_model, obj.sessions_count, bot=obj.pk)

    @admin.display(description="Calls", ordering="calls_count")
    def calls_count(self, obj: Bot) -> str:
        return changelist_link(Bot.calls.rel.related_model, obj.calls_count, bot=obj.pk)
