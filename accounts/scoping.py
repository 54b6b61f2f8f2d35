"""Owner scoping that cannot be forgotten (STYLE.md 2): the base of every view over user data.

Two forms of one mechanism, ``OwnerScopedMixin``:

- ``OwnedViewSet``, for a resource of rows: the queryset is the owner's, whatever the subclass returns.
- ``OwnerView``, for the other views (the legacy routes, reports): the base requires a signed-in user and gives
  the view ``self.owner``; a view reads nothing of ``request.user`` itself. Where the path names a record the
  owner must own (a bot's uuid), the app's own subclass resolves it once, owner-scoped, before the handler runs
  (``bots.api.scoping.BotView``); a record of another user is a 404 before any of the view's code.

The permission test matrix (``config/tests/test_permission_matrix.py``) finds every route from the URL resolver
and checks anonymous, stranger and owner against each.

For viewsets: a subclass says how to read its rows for a user (``get_owned_queryset(user=…)``, usually a
selector); the base resolves the signed-in user, requires one, and filters by owner once more on top. A subclass
cannot replace ``get_queryset``: defining it raises at import time. Rows of other users are therefore simply not
there: their URLs answer 404, never 403, so nobody learns that they exist.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User

# What a subclass may not redefine: the checks would no longer be the base's.
_SEALED = ("get_queryset", "get_permissions", "initial", "owner")


class OwnerScopedMixin:
    """Requires a signed-in user and names it ``self.owner``; subclasses cannot replace either."""

    permission_classes = [IsAuthenticated]

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            return  # the bases of this module
        if "get_queryset" in vars(cls):
            raise TypeError(
                f"{cls.__qualname__} must not override get_queryset(); implement get_owned_queryset(user=...)"
            )
        sealed = [name for name in _SEALED if name in vars(cls)]
        if sealed or vars(cls).get("permission_classes", [IsAuthenticated]) != [IsAuthenticated]:
            raise TypeError(
                f"{cls.__qualname__} must not replace the owner checks ({', '.join(sealed) or 'permission_classes'})"
            )

    @property
    def owner(self) -> User:
        """The signed-in user whose data this request may see (authenticated: the permission check ran)."""
        return self.request.user


class OwnedViewSet(OwnerScopedMixin, viewsets.GenericViewSet):
    """GenericViewSet over the signed-in user's rows; add the mixins (List, Retrieve, …) a resource needs."""

    # The rows' model: what an anonymous request (and schema generation) gets none of.
    model: type[Model]
    # The path from a row to its owner, e.g. "bot__user" for documents.
    owner_field = "user"

    def get_owned_queryset(self, *, user: User) -> QuerySet:
        raise NotImplementedError(f"{type(self).__qualname__} must implement get_owned_queryset(user=...)")

    def get_queryset(self) -> QuerySet:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:  # the permission check comes first; this is the second lock
            return self.model._default_manager.none()
        return self.get_owned_queryset(user=user).filter(**{self.owner_field: user})


class OwnerView(OwnerScopedMixin, APIView):
    """APIView over the signed-in user's data. The handler reads ``self.owner``; an app's subclass resolves the
    record its paths name (``resolve_owned(owner=…, **kwargs)``) into ``self.owned`` before the handler runs."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authentication and permissions first: 401 before any lookup
        self.owned = self.resolve_owned(owner=self.owner, **kwargs)

    def resolve_owned(self, *, owner: User, **kwargs):
        """The record the path names, looked up for ``owner`` only (NotFoundError otherwise); None by default."""
        return None
