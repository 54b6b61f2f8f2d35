"""The bots' pages: the landing page and the dashboard (overview, bot list, create/edit form, delete, status).

Views are thin: they read through ``bots.selectors`` (owner-scoped: another user's bot is a 404), write through
``bots.services``, and validate with the REST API's own ``BotInputSerializer``, so every rule lives in one place.
What the pages add is translation only (``BotForm``): form fields to the serializer's camelCase keys and its errors
back to the fields, a ``datetime-local`` plus the browser's time zone to an aware datetime, and the upload limits
the API answers with 413 and 415 to form errors.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.fields import empty

from accounts.pages import page_login_required
from bots import selectors, services
from bots.api.serializers import BotInputSerializer
from bots.embed import embed_code, public_base_url
from bots.languages import language_choices
from bots.models import Bot, BotStatus, Position, RagSourceType, Theme
from bots.vapi import VOICE_IDS
from common.errors import ConflictError, NotFoundError, ServiceError
from common.uploads import SkipOversizeFiles
from documents.services import bot_create_with_files
from documents.uploads import ACCEPTED

MB = 1024 * 1024
# The language select offers the API's languages (bots.languages: the configured transcriber's); a bot's own code,
# saved before that list, is added when it is not one of them (and refused on save).
LANGUAGES = language_choices()
LANGUAGE_NAMES = dict(LANGUAGES)
VOICES = [(name, name.title()) for name in VOICE_IDS]
POLLING_STATUSES = (BotStatus.PENDING, BotStatus.ACTIVATING)


# --- Access -------------------------------------------------------------------------------------------------------


# --- The form -----------------------------------------------------------------------------------------------------

# Form fields are the model's field names, which are the serializer fields' sources: the serializer's camelCase
# error keys map back to them without a table of our own.
LABELS = {
    "name": "Name",
    "welcome_message": "Welcome message",
    "system_prompt": "System prompt",
    "language": "Language",
    "voice": "Voice",
    "position": "Widget position",
    "theme": "Widget theme",
    "rag_enabled": "Answer from a knowledge base",
    "rag_source_type": "Knowledge source",
    "rag_url": "Website address",
    "files": "Files to upload",
    "activation_scheduled_at": "Activate at",
}
HELP = {
    "welcome_message": "The first thing the bot says when a call starts.",
    "system_prompt": "How the bot behaves: its role, tone and what it should and should not talk about.",
    "rag_url": "The site is crawled (same site only) and its pages answer callers' questions.",
    "activation_scheduled_at": "Leave empty to activate the bot right away.",
}


@dataclass
class BoundField:
    name: str
    label: str
    value: Any = ""
    errors: list[str] = field(default_factory=list)
    help: str = ""
    max_length: int | None = None
    anchor: str = ""

    @property
    def id(self) -> str:
        return f"id_{self.name}"

    @property
    def error_id(self) -> str:
        return f"{self.name}-errors"

    @property
    def help_id(self) -> str:
        return f"{self.name}-help"

    @property
    def describedby(self) -> str:
        return " ".join([*([self.help_id] if self.help else []), *([self.error_id] if self.errors else [])])


def _choices_with(choices: list[tuple[str, str]], value: str) -> list[tuple[str, str]]:
    return choices if not value or value in dict(choices) else [*choices, (value, value)]


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _minute(value: datetime.datetime) -> datetime.datetime:
    return value.replace(second=0, microsecond=0)


class BotForm:
    """The one form that creates and edits a bot. ``BotForm()`` is a new bot's, ``BotForm(bot=bot)`` an existing
    bot's; with ``data`` (the POST) it is bound: ``is_valid()`` runs ``BotInputSerializer`` (partially for an
    edit) and fills ``validated_data`` (model field names, for the services) or the fields' errors."""

    def __init__(self, *, bot: Bot | None = None, data: Any = None) -> None:
        self.bot = bot
        self.creating = bot is None
        self.data = data
        self.validated_data: dict[str, Any] | None = None
        self.non_field_errors: list[str] = []
        # A bot that has not started its first activation can still be scheduled; others are past that.
        self.can_schedule = self.creating or (bot.status == BotStatus.PENDING and bot.activation_attempts == 0)
        self.schedule_utc = ""  # the stored schedule, for bots.js to show in the browser's time zone
        serializer_fields = BotInputSerializer().fields
        self.field_of_key = {key: serializer_field.source for key, serializer_field in serializer_fields.items()}
        by_source = {serializer_field.source: serializer_field for serializer_field in serializer_fields.values()}
        self.fields = {
            name: BoundField(
                name=name,
                label=label,
                help=HELP.get(name, ""),
                max_length=getattr(by_source.get(name), "max_length", None),
                anchor=f"id_{name}_0" if name in ("position", "theme", "rag_source_type") else f"id_{name}",
            )
            for name, label in LABELS.items()
        }
        self.fields["files"].help = f"{ACCEPTED} files, up to {settings.MAX_UPLOAD_MB} MB each."
        self.tz = "UTC"
        if data is None:
            self._initial(by_source)
        else:
            self._bound(data)

    def __getitem__(self, name: str) -> BoundField:
        return self.fields[name]

    @property
    def max_upload_mb(self) -> int:
        return settings.MAX_UPLOAD_MB

    # Values: what the controls show (enums lower case, as the API spells them).

    def _initial(self, by_source: dict[str, Any]) -> None:
        bot = self.bot
        if bot is None:
            for name, bound in self.fields.items():
                default = getattr(by_source.get(name), "default", empty)
                bound.value = "" if default is empty else default
            return
        values = {
            "name": bot.name,
            "welcome_message": bot.welcome_message,
            "system_prompt": bot.system_prompt,
            "language": bot.language,
            "voice": bot.voice,
            "position": bot.position.lower(),
            "theme": bot.theme.lower(),
            "rag_enabled": bot.rag_enabled,
            "rag_source_type": (bot.rag_source_type or RagSourceType.FILES).lower(),
            "rag_url": bot.rag_url or "",
        }
        for name, value in values.items():
            self.fields[name].value = value
        if self.can_schedule:
            utc = _minute(bot.activation_scheduled_at.astimezone(datetime.UTC))
            self.fields["activation_scheduled_at"].value = utc.strftime("%Y-%m-%dT%H:%M")
            self.schedule_utc = utc.isoformat()

    def _bound(self, data: Any) -> None:
        for name, bound in self.fields.items():
            if name == "rag_enabled":
                bound.value = bool(data.get(name))
            elif name != "files":
                bound.value = data.get(name, "")
        self.tz = data.get("tz") or "UTC"

    # Choices for the template (the current value is always one of them, so nothing is lost on re-display).

    @property
    def language_choices(self) -> list[tuple[str, str]]:
        return _choices_with(LANGUAGES, self.fields["language"].value)

    @property
    def voice_choices(self) -> list[tuple[str, str]]:
        return _choices_with(VOICES, self.fields["voice"].value)

    position_choices = [(value.lower(), label) for value, label in Position.choices]
    theme_choices = [(value.lower(), label) for value, label in Theme.choices]
    source_choices = [(value.lower(), label) for value, label in RagSourceType.choices]

    # Errors

    def add_error(self, name: str | None, message: str) -> None:
        (self.fields[name].errors if name in self.fields else self.non_field_errors).append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.non_field_errors) or any(bound.errors for bound in self.fields.values())

    @property
    def summary(self) -> list[dict[str, str]]:
        """Every error, in the form's order, with the control it belongs to (for the summary's links)."""
        items = [{"label": "", "message": message, "anchor": ""} for message in self.non_field_errors]
        for bound in self.fields.values():
            items += [{"label": bound.label, "message": message, "anchor": bound.anchor} for message in bound.errors]
        return items

    # Validation

    def is_valid(self) -> bool:
        data = self.data
        payload: dict[str, Any] = {
            "name": data.get("name", ""),
            "welcomeMessage": data.get("welcome_message", ""),
            "systemPrompt": data.get("system_prompt", ""),
            "ragEnabled": bool(data.get("rag_enabled")),  # an unchecked box sends nothing: off
            "ragUrl": data.get("rag_url", "").strip() or None,
        }
        for key, name in (
            ("language", "language"),
            ("voice", "voice"),
            ("position", "position"),
            ("theme", "theme"),
            ("ragSourceType", "rag_source_type"),
        ):
            if name in data:
                payload[key] = data[name]
        schedule = self._schedule()
        if schedule is not None:
            payload["activationScheduledAt"] = schedule
        serializer = BotInputSerializer(self.bot, data=payload, partial=not self.creating)
        if not serializer.is_valid():
            for key, errors in serializer.errors.items():
                for message in errors if isinstance(errors, list) else [errors]:
                    self.add_error(self.field_of_key.get(key), str(message))
        if self.has_errors:
            return False
        self.validated_data = dict(serializer.validated_data)
        return True

    def _schedule(self) -> str | None:
        """The ``datetime-local`` value read in the browser's time zone (``tz``, filled in by bots.js; UTC without
        JavaScript), as an ISO datetime for the serializer; None when empty or unchanged."""
        raw = str(self.data.get("activation_scheduled_at", "")).strip()
        if not raw or not self.can_schedule:
            return None
        zone = _zone(self.tz)
        if zone is None:
            self.add_error("activation_scheduled_at", f"Unknown time zone: {self.tz}")
            return None
        try:
            local = datetime.datetime.fromisoformat(raw)
        except ValueError:
            self.add_error("activation_scheduled_at", "Enter a date and time.")
            return None
        if local.tzinfo is None:
            local = local.replace(tzinfo=zone)
        if not self.creating and _minute(local) == _minute(self.bot.activation_scheduled_at):
            return None  # shown to the minute: an untouched field must not move the schedule
        return local.isoformat()


# --- Landing page ---------------------------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """``/``: what the product does, the way in, and a live demo when ``DEMO_BOT_UUID`` names an ACTIVE bot."""
    demo_tag = None
    base_url = public_base_url(request)
    if settings.DEMO_BOT_UUID:
        try:
            bot = selectors.bot_get_public(uuid=settings.DEMO_BOT_UUID)
        except NotFoundError:
            bot = None
        if bot is not None and bot.status == BotStatus.ACTIVE:
            # The embed code's own script tag (embed_code() escapes every value: safe as HTML).
            demo_tag = mark_safe(  # noqa: S308
                embed_code(
                    uuid=bot.uuid,
                    language=bot.language,
                    position=bot.position,
                    theme=bot.theme,
                    base_url=base_url,
                )
            )
    context = {"is_home": True, "demo_tag": demo_tag, "widget_base_url": base_url}
    return render(request, "bots/home.html", context)


# --- Dashboard ------------------------------------------------------------------------------------------------------


@page_login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """``/dashboard``: the overview figures and the owner's bots (two queries, whatever the number of bots)."""
    bots = list(selectors.bot_list(user=request.user))
    for bot in bots:
        bot.language_name = LANGUAGE_NAMES.get(bot.language, bot.language)
    context = {"nav": "dashboard", "bots": bots, "counts": selectors.bot_counts(user=request.user)}
    return render(request, "bots/dashboard.html", context)


@page_login_required
@require_GET
def bot_status(request: HttpRequest, uuid: str) -> HttpResponse:
    """``/dashboard/bots/<uuid>/status``: the status fragment (``_status.html``), which polls itself while the bot is
    PENDING or ACTIVATING. Like the API's status route it starts a first activation that is due (the quick start
    has no beat)."""
    bot = selectors.bot_get(user=request.user, uuid=uuid)
    if services.bot_activate_if_due(bot=bot):
        # Activation may have run already (no broker: tasks run eagerly).
        bot = selectors.bot_get(user=request.user, uuid=uuid)
    return render(request, "bots/_status.html", {"bot": bot})


@page_login_required
@require_POST
def bot_reactivate(request: HttpRequest, uuid: str) -> HttpResponse:
    """``POST /dashboard/bots/<uuid>/reactivate``: retry a FAILED bot (the REST ``reactivate`` action's service).
    htmx gets the new status fragment; a plain form goes back to the bot's page."""
    bot = selectors.bot_get(user=request.user, uuid=uuid)
    try:
        services.bot_reactivate(bot=bot)
    except ConflictError as exc:
        if not request.htmx:
            messages.error(request, exc.message)
    else:
        if not request.htmx:
            messages.success(request, f"Re-activating “{bot.name}”.")
    if request.htmx:
        return render(request, "bots/_status.html", {"bot": selectors.bot_get(user=request.user, uuid=uuid)})
    return redirect("dashboard-bot", uuid=bot.uuid)


# --- Create, edit, delete -------------------------------------------------------------------------------------------


@page_login_required
@require_http_methods(["GET", "POST"])
@csrf_exempt  # checked by _bot_new, once the upload handler below is in place (Django's documented way)
def bot_new(request: HttpRequest) -> HttpResponse:
    """``/dashboard/bots/new``: the form; a valid POST creates the bot (with its files) and opens its page."""
    uploads = SkipOversizeFiles(request)
    if request.method == "POST":
        request.upload_handlers.insert(0, uploads)
    try:
        return _bot_new(request, uploads)
    except ServiceError as exc:
        if exc.status_code != 413:
            raise
        # The request is over MAX_UPLOAD_REQUEST_MB: refused before its body was read, so there is nothing to
        # keep (and nothing was written).
        form = BotForm()
        form.add_error("files", exc.message)
        return _render_new(request, form, status=413)


@csrf_protect
def _bot_new(request: HttpRequest, uploads: SkipOversizeFiles) -> HttpResponse:
    if request.method != "POST":
        return _render_new(request, BotForm())
    form = BotForm(data=request.POST)
    files = request.FILES.getlist("files")
    for name in uploads.too_large:
        form.add_error("files", f"{name} is larger than {settings.MAX_UPLOAD_MB} MB")
    if not form.is_valid():
        if files or uploads.too_large:
            form.add_error("files", "Files are not kept when the form has errors: choose them again.")
        return _render_new(request, form, status=413 if uploads.too_large else 200)
    data = form.validated_data
    # As the API: files go with a bot whose knowledge base is files.
    wants_files = data["rag_enabled"] and data.get("rag_source_type") == RagSourceType.FILES
    try:
        bot = bot_create_with_files(
            owner=request.user, data=data, files=files if wants_files else [], base_url=public_base_url(request)
        )
    except ServiceError as exc:
        if exc.status_code not in (413, 415):
            raise
        form.add_error("files", exc.message)  # nothing was stored: the bot was rolled back with its files
        return _render_new(request, form, status=exc.status_code)
    messages.success(request, f"Bot “{bot.name}” created. Paste its embed code into your site.")
    return redirect("dashboard-bot", uuid=bot.uuid)


def _render_new(request: HttpRequest, form: BotForm, *, status: int = 200) -> HttpResponse:
    return render(request, "bots/bot_new.html", {"nav": "dashboard", "form": form}, status=status)


@page_login_required
@require_http_methods(["GET", "POST"])
def bot_page(request: HttpRequest, uuid: str) -> HttpResponse:
    """``/dashboard/bots/<uuid>``: the bot's settings (the same form), its embed code, and its knowledge base
    (the documents app's fragment). Uploading files here is the knowledge section's job."""
    bot = selectors.bot_get(user=request.user, uuid=uuid)
    if request.method == "POST":
        form = BotForm(bot=bot, data=request.POST)
        if form.is_valid():
            services.bot_update(bot=bot, data=form.validated_data, base_url=public_base_url(request))
            messages.success(request, "Changes saved.")
            return redirect("dashboard-bot", uuid=bot.uuid)
    else:
        form = BotForm(bot=bot)
    return render(request, "bots/bot_page.html", {"nav": "dashboard", "bot": bot, "form": form})


@page_login_required
@require_http_methods(["GET", "POST"])
def bot_delete(request: HttpRequest, uuid: str) -> HttpResponse:
    """``/dashboard/bots/<uuid>/delete``: GET asks, POST deletes (with documents, files, sessions, calls and the
    VAPI assistant, through ``bots.services.bot_delete``)."""
    bot = selectors.bot_get(user=request.user, uuid=uuid)
    if request.method == "POST":
        services.bot_delete(bot=bot)
        messages.success(request, f"Bot “{bot.name}” deleted.")
        return redirect("dashboard")
    return render(request, "bots/bot_delete.html", {"nav": "dashboard", "bot": bot})
