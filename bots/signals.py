"""What bots tells the apps above it (documents, analytics), which bots does not import: each reacts in a
receiver of its own (``<app>/receivers.py``, connected in its ``AppConfig.ready``)."""

from django.dispatch import Signal

# Sent with ``bot=`` inside ``bot_delete``'s transaction, the bot's row locked, before its rows go.
bot_deleting = Signal()

# Sent with ``bot=``, ``changed=`` (the names of the model fields that changed) and ``created=`` inside the
# transaction of ``bot_create`` / ``bot_update``, after the bot is saved.
bot_changed = Signal()
