"""Owner scoping that cannot be forgotten (STYLE.md 2): the base of every view over user data.

A subclass says how to read its rows for a user (``get_owned_queryset(user=…)``, usually a selector); the base
resolves the signed-in user, requires one, and filters by owner once more on top. A subclass cannot replace
``get_queryset``: defining it raises at import time. Rows of other users are therefore simply not there: their
URLs answer 404, never 403, so nobody learns that they exist.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.models import User


class OwnerScopedMixin:
    permission_classes = [IsAuthenticated]
    # The rows' model: what an anonymous request (and schema generation) gets none of.
    model: type[Model]
    # The path from a row to its owner, e.g. "bot__user" for documents.
    owner_field = "user"

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in vars(cls):
            raise TypeError(
                f"{cls.__qualname__} must not override get_queryset(); implement get_owned_queryset(user=...)"
            )

    def get_owned_queryset(self, *, user: User) -> QuerySet:
        raise NotImplementedError(f"{type(self).__qualname__} must implement get_owned_queryset(user=...)")

    def get_queryset(self) -> QuerySet:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:  # the permission check comes first; this is the second lock
            return self.model._default_manager.none()
        return self.get_owned_queryset(user=user).filter(**{self.owner_field: user})


class OwnedViewSet(OwnerScopedMixin, viewsets.GenericViewSet):
    """GenericViewSet over the signed-in user's rows; add the mixins (List, Retrieve, …) a resource needs."""
