"""What accounts tells the apps above it. Accounts imports none of them (it is the lowest app): an app that must
react to a user's life registers a receiver in its own ``receivers.py``, connected in its ``AppConfig.ready``."""

from django.dispatch import Signal

# Sent with ``user=`` inside ``user_delete``'s transaction, before the user's rows go: receivers schedule what must
# follow the commit (stored files, VAPI assistants), with ``transaction.on_commit``.
user_deleting = Signal()
