"""Bots follow their owner (accounts' signals; accounts does not import bots)."""

from __future__ import annotations

from accounts.models import User
from bots import services


def delete_assistants_of_user(sender, *, user: User, **kwargs) -> None:
    services.assistant_ids_delete_on_commit(user.bots.values_list("vapi_assistant_id", flat=True))
