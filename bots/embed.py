"""The embed code a bot owner pastes into their site: the original app's script tag, unchanged, so that embed
codes handed out by the original keep working (widget path and data attributes are the legacy contract)."""

from __future__ import annotations

from html import escape

from django.conf import settings
from django.http import HttpRequest

WIDGET_SCRIPT_PATH = "/js/external-chatbot-voice.js"


def public_base_url(request: HttpRequest | None = None) -> str:
    """The origin the world reaches this app at: ``PUBLIC_BASE_URL`` when set, else the request's own scheme and
    host (``X-Forwarded-*`` count only behind a configured proxy, see ``BEHIND_PROXY``; the host is one of
    ``ALLOWED_HOSTS``, so it cannot be forged into an embed code)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://localhost:8000"


def embed_code(*, uuid: str, language: str, position: str, theme: str, base_url: str) -> str:
    """The tag as plain text (every value attribute-escaped): code to show and copy, not markup to render."""
    parts = (base_url + WIDGET_SCRIPT_PATH, uuid, language, position.lower(), theme.lower())
    values = [escape(value) for value in parts]
    return (
        '<script defer src="{}" data-chatbot-uuid="{}" data-language="{}" data-position="{}" data-theme="{}">'
        "</script>".format(*values)
    )
