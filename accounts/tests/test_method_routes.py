"""A path whose methods have different audiences (``MethodRoute``): a public view and an owner view joined on
one path, each with its own permissions; and the owner base's lookups, which a 405 or an OPTIONS never makes."""

from __future__ import annotations

import pytest
from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response

from accounts.scoping import MethodRoute, OwnerView, PublicView
from common.errors import NotFoundError

pytestmark = [pytest.mark.django_db, pytest.mark.urls("accounts.tests.test_method_routes")]


class _Public(PublicView):
    def get(self, request, name):
        return Response({"name": name, "viewer": self.viewer.pk if self.viewer else None})


class _Owners(OwnerView):
    lookups: list[str] = []

    def resolve_owned(self, *, owner, name, **kwargs):
        type(self).lookups.append(name)
        if name != owner.pk:
            raise NotFoundError("Not yours")
        return name

    def patch(self, request, name):
        return Response({"patched": self.owned})


class _Things(MethodRoute):
    get = _Public
    patch = _Owners


urlpatterns = [
    path("api/test/things/<str:name>", _Things.as_view(), name="test-thing"),
    path("api/test/owned/<str:name>", _Owners.as_view(), name="test-owned"),
    path("", include("config.urls")),
]


@pytest.fixture(autouse=True)
def _no_lookups():
    _Owners.lookups = []


def test_the_public_method_answers_anyone_and_knows_who_asks(api_client, client_for, user):
    assert api_client.get("/api/test/things/x").json() == {"name": "x", "viewer": None}
    assert client_for(user).get("/api/test/things/x").json() == {"name": "x", "viewer": user.pk}
    assert api_client.head("/api/test/things/x").status_code == 200
    assert api_client.options("/api/test/things/x").status_code == 200


def test_the_owner_method_needs_its_owner(api_client, client_for, user, other_user):
    assert api_client.patch(f"/api/test/things/{user.pk}", {}, format="json").status_code == 401
    assert client_for(other_user).patch(f"/api/test/things/{user.pk}", {}, format="json").status_code == 404
    response = client_for(user).patch(f"/api/test/things/{user.pk}", {}, format="json")
    assert (response.status_code, response.json()) == (200, {"patched": user.pk})


def test_other_methods_are_answered_as_the_owner_route_answers_them(api_client, client_for, user):
    assert api_client.post("/api/test/things/x", {}, format="json").status_code == 401
    refused = client_for(user).delete("/api/test/things/x")

    assert refused.status_code == 405
    assert refused.json() == {"success": False, "error": 'Method "DELETE" not allowed.'}
    assert _Owners.lookups == []  # a 405 looks nothing up: whoever's record the path names, the answer is the same


@pytest.mark.parametrize("method", ["get", "options", "post"])
def test_the_allow_header_names_every_method_of_the_path(client_for, user, method):
    response = getattr(client_for(user), method)("/api/test/things/x")

    assert response["Allow"] == "GET, PATCH, HEAD, OPTIONS"


@pytest.mark.parametrize(("method", "status"), [("options", 200), ("delete", 405), ("get", 405)])
def test_an_owner_view_looks_its_record_up_only_for_its_own_methods(client_for, other_user, user, method, status):
    # Another user's record, or none: the same answer as the owner's would get (nothing to learn from it).
    assert getattr(client_for(other_user), method)(f"/api/test/owned/{user.pk}").status_code == status
    assert _Owners.lookups == []
    assert client_for(other_user).patch(f"/api/test/owned/{user.pk}").status_code == 404
    assert _Owners.lookups == [user.pk]


def test_tools_that_read_a_view_see_the_paths_methods():
    # What the permission matrix, DRF and drf-spectacular read of a route: its view class's methods.
    callback = urlpatterns[0].callback

    assert callback.cls is _Things
    assert [method for method in _Things.http_method_names if hasattr(_Things, method)] == ["get", "patch", "options"]
    assert _Things().allowed_methods == ["GET", "PATCH", "OPTIONS"]


def test_the_schema_documents_each_method_from_its_own_view():
    schema = SchemaGenerator(patterns=urlpatterns[:1]).get_schema(request=None, public=True)
    operations = schema["paths"]["/api/test/things/{name}"]

    assert set(operations) == {"get", "patch"}
    assert {} in operations["get"]["security"]  # anyone
    assert "401" not in operations["get"]["responses"]
    assert {} not in operations["patch"]["security"]
    assert {"401", "403", "404"} <= set(operations["patch"]["responses"])
