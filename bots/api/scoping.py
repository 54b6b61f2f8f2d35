"""The owner-scoping bases (``accounts.scoping``) for views over bots.

- ``BotView``, for views under a bot's path, ``/api/bots/<uuid>/…``: the bot is looked up for the signed-in user
  before the handler runs, so another user's bot, like no bot, is a 404 before any of the view's code (documents'
  and analytics' views under a bot use it too).
- ``OwnerBotsView``, for owner views that name a bot elsewhere (the legacy activation route takes its uuid in the
  body): ``self.owned_bot(uuid)`` is the same owner-scoped lookup, called by the handler.
"""

from __future__ import annotations

from accounts.models import User
from accounts.scoping import OwnerView
from bots.models import Bot
from bots.selectors import BOT_NOT_FOUND, bot_get
from common.errors import NotFoundError


class OwnerBotsView(OwnerView):
    """An owner view over the owner's bots. ``bot_not_found`` is the 404's message (the legacy routes each have
    their own wording)."""

    bot_not_found = BOT_NOT_FOUND

    def owned_bot(self, uuid: str) -> Bot:
        """The owner's bot ``uuid``; NotFoundError(``bot_not_found``) for another user's bot as for no bot."""
        try:
            return bot_get(user=self.owner, uuid=uuid)
        except NotFoundError:
            raise NotFoundError(self.bot_not_found) from None


class BotView(OwnerBotsView):
    """``self.bot``: the owner's bot that the path's ``uuid`` names, resolved before the handler."""

    def resolve_owned(self, *, owner: User, uuid: str, **kwargs) -> Bot:
        return self.owned_bot(uuid)

    @property
    def bot(self) -> Bot:
        return self.owned
