"""Pages of the analytics app."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views import View

from bots.embed import embed_code, public_base_url
from bots.selectors import bot_get_public
from common.errors import NotFoundError

LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


class TestEmbedView(View):
    """``GET /test-embed?bot=<uuid>[&position=left|right&theme=light|dark&language=<code>]``: a bare page that
    embeds a bot exactly as a customer's site would (the script tag and nothing else), so its owner can try the
    widget. No sign-in: it shows only the embed code, which is public. The optional parameters preview the widget
    in another corner, theme or language without saving anything."""

    template_name = "analytics/test_embed.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        uuid = request.GET.get("bot", "").strip()
        context: dict = {"uuid": uuid, "embed_code": None, "embed_tag": None}
        if not uuid:
            return render(request, self.template_name, {**context, "problem": "missing"})
        try:
            bot = bot_get_public(uuid=uuid) if UUID.match(uuid) else None
        except NotFoundError:
            bot = None
        if bot is None:
            return render(request, self.template_name, {**context, "problem": "unknown"}, status=404)

        position = request.GET.get("position", "").lower()
        theme = request.GET.get("theme", "").lower()
        language = request.GET.get("language", "")
        base_url = public_base_url(request)
        code = embed_code(
            uuid=bot.uuid,
            language=language if len(language) <= 16 and LANGUAGE.match(language) else bot.language,
            position=position if position in ("left", "right") else bot.position,
            theme=theme if theme in ("light", "dark") else bot.theme,
            base_url=base_url,
        )
        # embed_code() escapes every value it interpolates: the tag is safe to include as HTML. The
        # template shows the same text escaped in a <pre> (force_escape: the string may already be marked safe).
        context.update(embed_code=code, embed_tag=mark_safe(code), widget_base_url=base_url)  # noqa: S308
        return render(request, self.template_name, context)
