"""The platform's users: people who sign in with Clerk, and staff who use the admin.

Table and column names are the original app's (``users``, camelCase columns), so the database reads the same
as the one the Next.js + Prisma app used.
"""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from common.ids import local_user_id

# The email column is unique and required, but Clerk may not tell us the address yet (the Backend API is not
# configured or did not answer, or the account signs in with a phone number). Until it does, the user gets an
# address of their own under .invalid, a top-level domain reserved never to resolve (RFC 2606).
PLACEHOLDER_EMAIL_DOMAIN = "users.clerk.invalid"

# What a user id can be: Clerk's (``user_`` and base-62 digits), ours (``local_`` and a CUID), within the column.
# Anything else in a token's ``sub`` or a webhook's ``data.id`` names nobody and is refused before a query.
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,191}")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)  # None gives an unusable password: Clerk users never log in with one.
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields.get("is_staff") is not True or extra_fields.get("is_superuser") is not True:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A user. The primary key is the Clerk user id (``user_…``); staff made here get a ``local_…`` id."""

    id = models.CharField(
        primary_key=True,
        max_length=191,
        default=local_user_id,
        editable=False,
        help_text="Clerk user id (user_…), or local_… for staff created with createsuperuser.",
    )
    email = models.EmailField(unique=True, max_length=254)
    first_name = models.CharField(max_length=150, null=True, blank=True, db_column="firstName")
    last_name = models.CharField(max_length=150, null=True, blank=True, db_column="lastName")
    image_url = models.URLField("image URL", max_length=2048, null=True, blank=True, db_column="imageUrl")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")
    # Clerk's own updated_at of the profile we hold: older webhook deliveries are ignored.
    clerk_updated_at = models.DateTimeField(null=True, blank=True, editable=False, db_column="clerkUpdatedAt")

    # Django's own columns, named in the table's camelCase.
    last_login = models.DateTimeField(blank=True, null=True, db_column="lastLogin")
    is_superuser = models.BooleanField(
        default=False,
        db_default=False,
        db_column="isSuperuser",
        help_text="Has every permission without them being assigned.",
    )
    is_staff = models.BooleanField(
        default=False, db_default=False, db_column="isStaff", help_text="Can log into the admin site."
    )
    is_active = models.BooleanField(
        default=True, db_default=True, db_column="isActive", help_text="Unset instead of deleting the account."
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "users"
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.email

    @property
    def has_placeholder_email(self) -> bool:
        """True until Clerk has told us the user's address."""
        return self.email.endswith("@" + PLACEHOLDER_EMAIL_DOMAIN)

    def get_full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def get_short_name(self) -> str:
        return self.first_name or self.email


class DeletedClerkUser(models.Model):
    """A Clerk user that Clerk told us was deleted (``user.deleted``). Kept so that they stay deleted: a
    ``user.created`` or ``user.updated`` delivered after it (late, out of order, or a captured delivery replayed
    within Svix's five-minute window) and a session token still valid for its last minute must not bring the
    account back. Clerk never reuses a user id, so a tombstone can never stand in a new user's way. Only the id
    and the moment: nothing personal is kept."""

    id = models.CharField(primary_key=True, max_length=191, help_text="The deleted Clerk user id.")
    deleted_at = models.DateTimeField(default=timezone.now, db_default=Now(), db_column="deletedAt")

    class Meta:
        db_table = "deleted_clerk_users"
        verbose_name = "deleted Clerk user"
        verbose_name_plural = "deleted Clerk users"

    def __str__(self) -> str:
        return self.id
