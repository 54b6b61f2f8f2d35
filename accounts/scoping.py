"""Owner scoping that cannot be forgotten (STYLE.md 2): the base of every view over user data.

Two forms of one mechanism, ``OwnerScopedMixin``:

- ``OwnedViewSet``, for a resource of rows: the queryset is the owner's, whatever the subclass returns.
- ``OwnerView``, for the other views (the legacy routes, reports): the base requires a signed-in user and gives
  the view ``self.owner``; a view reads nothing of ``request.user`` itself. Where the path names a record the
  owner must own (a bot's uuid), the app's own subclass resolves it once, owner-scoped, before the handler runs
  (``bots.api.scoping.BotView``); a record of another user is a 404 before any of the view's code.

Public views (the widget's) are ``PublicView``s: anyone may call them, and ``self.viewer`` says who is signed in,
if anyone (a public answer may tell its owner more). A path whose methods have different audiences (the widget
reads ``GET /api/bots/status/<uuid>``, its owner ``PATCH``es it) is one view per audience, joined on the path by a
``MethodRoute``: no view has per-method permissions, so none can open an owner's method by mistake.

The permission test matrix (``config/tests/test_permission_matrix.py``) finds every route from the URL resolver
and checks anonymous, stranger and owner against each.

For viewsets: a subclass says how to read its rows for a user (``get_owned_queryset(user=…)``, usually a
selector); the base resolves the signed-in user, requires one, and filters by owner once more on top. A subclass
cannot replace ``get_queryset``: defining it raises at import time. Rows of other users are therefore simply not
there: their URLs answer 404, never 403, so nobody learns that they exist.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from rest_framework import viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.models import User
from common.replica import replica_reads

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


def _resolve_owned(view: OwnerView, request: Request, **kwargs):
    return view.resolve_owned(owner=view.owner, **kwargs)


class OwnerView(OwnerScopedMixin, APIView):
    """APIView over the signed-in user's data. The handler reads ``self.owner``; an app's subclass resolves the
    record its paths name (``resolve_owned(owner=…, **kwargs)``) into ``self.owned`` before the handler runs."""

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authentication and permissions first: 401 before any lookup
        # Nothing to look up for a method the view does not have (a 405 whatever the path names) nor for OPTIONS
        # (it describes the route, not a record): as when each handler looked its record up itself.
        method = request.method.lower()
        handler = getattr(self, method, None) if method != "options" and method in self.http_method_names else None
        if handler is None:
            self.owned = None
            return
        # Read where the handler reads: a @replica_reads handler's record comes from the read replica too, so that
        # an answer never mixes the two databases' rows.
        lookup = replica_reads(_resolve_owned) if getattr(handler, "reads_replica", False) else _resolve_owned
        self.owned = lookup(self, request, **kwargs)

    def resolve_owned(self, *, owner: User, **kwargs):
        """The record the path names, looked up for ``owner`` only (NotFoundError otherwise); None by default."""
        return None


class PublicView(APIView):
    """APIView that anyone may call (the widget's routes). ``self.viewer``: the signed-in user when the request
    carries valid credentials, else None; the one place a public view learns who asks."""

    permission_classes = [AllowAny]

    @property
    def viewer(self) -> User | None:
        user = self.request.user
        return user if user.is_authenticated else None


class MethodRoute(APIView):
    """One path served by a view per method: each view keeps its own permissions (a ``PublicView`` and an
    ``OwnerView``), instead of one view choosing them by method. A subclass names a view class per method::

        class StatusRoute(MethodRoute):
            get = StatusView  # the widget
            patch = AssistantLinkView  # the owner

    and is routed with ``StatusRoute.as_view()``. Each request goes to its method's view before anything else
    (HEAD and OPTIONS where GET goes); a method the path does not have goes to its first owner view, as on any
    owner route: 401 without a sign-in, then 405. The Allow header names every method of the path. What tools
    read of a view (``http_method_names``, a handler per method) says what the path serves; drf-spectacular
    documents each method from its own view (``split_method_routes``)."""

    views: dict[str, Callable[..., HttpResponse]] = {}  # method -> the view's callback, made by __init_subclass__

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        classes = {
            method: view
            for method in APIView.http_method_names
            if isinstance(view := getattr(cls, method, None), type) and issubclass(view, APIView)
        }
        served = [*classes, *(["head"] if "get" in classes else []), "options"]
        cls.http_method_names = [method for method in APIView.http_method_names if method in served]
        cls.views = {method.upper(): view.as_view() for method, view in classes.items()}
        owners = [method.upper() for method, view in classes.items() if issubclass(view, OwnerScopedMixin)]
        cls._fallback = (owners or list(cls.views) or [None])[0]
        cls._allow = ", ".join(method.upper() for method in cls.http_method_names)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        method = request.method
        if method in ("HEAD", "OPTIONS") and "GET" in self.views:
            method = "GET"
        response = self.views.get(method, self.views[self._fallback])(request, *args, **kwargs)
        if response.has_header("Allow"):
            response["Allow"] = self._allow
        return response


def split_method_routes(endpoints: list[tuple]) -> list[tuple]:
    """drf-spectacular's preprocessing hook (``SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"]``): each method of a
    ``MethodRoute`` path is documented from the view that serves it (its permissions, its serializers)."""
    return [
        (path, path_regex, method, getattr(getattr(callback, "cls", None), "views", {}).get(method, callback))
        for path, path_regex, method, callback in endpoints
    ]
