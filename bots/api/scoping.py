"""The owner-scoping base (``accounts.scoping``) for views under a bot's path, ``/api/bots/<uuid>/…``: the bot is
looked up for the signed-in user before the handler runs, so another user's bot, like no bot, is a 404 before any
of the view's code (documents' and analytics' views under a bot use it too)."""

from __future__ import annotations

from accounts.models import User
from accounts.scoping import OwnerView
from bots.models import Bot
from bots.selectors import BOT_NOT_FOUND, bot_get
from common.errors import NotFoundError


class BotView(OwnerView):
    """``self.bot``: the owner's bot that the path's ``uuid`` names. ``bot_not_found`` is the 404's message (the
    legacy routes each have their own wording)."""

    bot_not_found = BOT_NOT_FOUND

    def resolve_owned(self, *, owner: User, uuid: str, **kwargs) -> Bot:
        try:
            return bot_get(user=owner, uuid=uuid)
        except NotFoundError:
            raise NotFoundError(self.bot_not_found) from None

    @property
    def bot(self) -> Bot:
        return self.owned
