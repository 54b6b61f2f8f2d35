"""Writes on users: the Clerk user sync (first request, webhooks) and deleting a user with all they own."""

from __future__ import annotations

import logging

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.clerk_api import ClerkProfile, fetch_user_profile
from accounts.models import PLACEHOLDER_EMAIL_DOMAIN, DeletedClerkUser, User
from accounts.signals import user_deleting

logger = logging.getLogger(__name__)


class UserDeleted(Exception):
    """The Clerk user was deleted (``user.deleted``): they stay deleted, whatever comes after."""


def _lock_clerk_user(clerk_user_id: str) -> None:
    """Serialise the transactions that create, update or delete one Clerk user (until the transaction ends): a
    ``user.deleted`` and a ``user.created`` delivered at the same moment must not leave the user alive."""
    if connection.vendor == "postgresql":
        # Raw SQL: the ORM has no advisory locks (and there is no row to lock before the user exists).
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["clerk-user:" + clerk_user_id])


def placeholder_email(user_id: str) -> str:
    return f"{user_id}@{PLACEHOLDER_EMAIL_DOMAIN}"


def user_get_or_create_for_session(*, clerk_user_id: str) -> User:
    """The user a verified session token names; created on their first request.

    The profile comes from Clerk's Backend API when it is configured and answers, fetched outside any
    transaction; otherwise the row starts with a placeholder email and the ``user.created`` webhook fills it.
    """
    user = User.objects.filter(pk=clerk_user_id).first()
    if user is not None:
        return user
    if DeletedClerkUser.objects.filter(pk=clerk_user_id).exists():
        raise UserDeleted(clerk_user_id)  # a token issued in the deleted session's last minute
    return user_sync_from_clerk(
        clerk_user_id=clerk_user_id, profile=fetch_user_profile(clerk_user_id) or ClerkProfile()
    )


@transaction.atomic
def user_sync_from_clerk(*, clerk_user_id: str, profile: ClerkProfile) -> User:
    """Create or update the user from Clerk's data. Idempotent, and safe against concurrent first requests and
    webhook deliveries that are late, repeated or out of order: a profile older than the one stored (by Clerk's
    ``updated_at``) changes nothing, and a user Clerk deleted is not created again (``UserDeleted``)."""
    _lock_clerk_user(clerk_user_id)
    if DeletedClerkUser.objects.filter(pk=clerk_user_id).exists():
        raise UserDeleted(clerk_user_id)
    # INSERT … ON CONFLICT DO NOTHING, then lock the row: two first requests at once cannot both insert.
    # Clerk users never log in with a password: theirs is unusable.
    new = User(id=clerk_user_id, email=placeholder_email(clerk_user_id), password=make_password(None))
    User.objects.bulk_create([new], ignore_conflicts=True)
    user = User.objects.select_for_update().get(pk=clerk_user_id)
    if profile.updated_at and user.clerk_updated_at and profile.updated_at <= user.clerk_updated_at:
        return user

    email = user.email
    if profile.email and profile.email != user.email:
        if User.objects.filter(email=profile.email).exclude(pk=clerk_user_id).exists():
            # Most likely a Clerk account deleted and re-created while its user.deleted event was lost.
            logger.warning("User %s: email already belongs to another user; keeping %s", clerk_user_id, email)
        else:
            email = profile.email
    user.email = email
    user.first_name = profile.first_name
    user.last_name = profile.last_name
    user.image_url = profile.image_url
    user.clerk_updated_at = profile.updated_at or user.clerk_updated_at
    user.save(update_fields=["email", "first_name", "last_name", "image_url", "clerk_updated_at", "updated_at"])
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the user and everything they own: bots (and their VAPI assistants, in the background), documents
    and their stored files, sessions, calls. The apps above accounts clean up what is theirs in receivers of
    ``user_deleting`` (bots: the assistants; documents: the stored files)."""
    user_deleting.send(sender=User, user=user)
    user.delete()


@transaction.atomic
def user_delete_from_clerk(*, clerk_user_id: str) -> bool:
    """``user.deleted``: delete the user and remember that Clerk deleted them (``DeletedClerkUser``), so that no
    later delivery or token brings them back. False when there was no such user (already deleted, or never seen:
    the tombstone is kept either way, for a ``user.created`` that arrives after its ``user.deleted``)."""
    _lock_clerk_user(clerk_user_id)
    DeletedClerkUser.objects.get_or_create(pk=clerk_user_id)
    user = User.objects.filter(pk=clerk_user_id).first()
    if user is None:
        return False
    user_delete(user=user)
    return True
