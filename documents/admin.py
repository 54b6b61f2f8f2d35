from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from bots.admin import BotAdmin
from bots.models import Bot
from common.admin_filters import ContainsFilter, RangeFilter, autocomplete_filter
from common.admin_tools import BrowserAdmin, change_link, datetime_column
from documents.models import Document

# Listing columns only: a document's text and chunks can be megabytes.
_LARGE_COLUMNS = ("content", "chunks")


class DocumentInline(admin.TabularInline):
    model = Document
    # Django's tabular inline, with named header cells and a table that scrolls in a focusable box (issue 18).
    template = "admin/edit_inline/scrolling_tabular.html"
    fields = ("name", "status", "type", "size_display", "pages", "word_count", "uploaded_at", "processed_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True
    ordering = ("-uploaded_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*_LARGE_COLUMNS)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Size")
    def size_display(self, obj: Document) -> str:
        return filesizeformat(obj.size)


# A bot's page lists its documents: documents extends bots' admin with its inline (bots does not import
# documents), registered in place of bots' own (documents is installed after bots).
admin.site.unregister(Bot)


@admin.register(Bot)
class BotWithDocumentsAdmin(BotAdmin):
    inlines = [*BotAdmin.inlines, DocumentInline]


@admin.register(Document)
class DocumentAdmin(BrowserAdmin):
    # What tells documents apart at a glance; the owner, type, pages, words and processing are on the document's page.
    list_display = ("name", "bot_link", "status", "size_display", "uploaded")
    list_display_extra = ("owner", "type", "pages", "word_count", "processed_at")
    list_select_related = ("bot__user",)
    list_filter = (
        ("bot", autocomplete_filter("bot")),
        ("bot__user", autocomplete_filter("owner")),
        "status",
        # Typed, not listed: the list of types would be read from every document on each page.
        ("type", ContainsFilter),
        ("size", RangeFilter),
        ("pages", RangeFilter),
        ("word_count", RangeFilter),
        "uploaded_at",
        "processed_at",
    )
    search_fields = ("name", "=id", "bot__name", "=bot__uuid", "bot__user__email")
    ordering = ("-uploaded_at",)
    date_hierarchy = "uploaded_at"
    changelist_defer = _LARGE_COLUMNS
    autocomplete_fields = ("bot",)
    fields = (
        "id",
        "bot_link",
        "owner",
        "name",
        "status",
        "error",
        "source_url",
        "content_hash",
        "type",
        "size",
        "pages",
        "word_count",
        "chunk_count",
        "file_path",
        "uploaded_at",
        "processing_started_at",
        "processing_attempts",
        "processed_at",
        "content",
        "chunks",
    )
    # Everything but the name comes from the upload and its processing.
    readonly_fields = tuple(field for field in fields if field != "name")

    def has_add_permission(self, request) -> bool:
        # Documents come from uploads and crawls, which store the original and extract its text.
        return False

    uploaded = datetime_column("uploaded_at", "Uploaded")

    @admin.display(description="Bot", ordering="bot__name")
    def bot_link(self, obj: Document) -> str:
        return change_link(obj.bot)

    @admin.display(description="Owner", ordering="bot__user__email")
    def owner(self, obj: Document) -> str:
        return change_link(obj.bot.user, obj.bot.user.email)

    @admin.display(description="Size", ordering="size")
    def size_display(self, obj: Document) -> str:
        return filesizeformat(obj.size)

    @admin.display(description="Chunks")
    def chunk_count(self, obj: Document) -> int:
        return len(obj.chunks or [])
