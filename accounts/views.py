from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scoping import OwnerView
from accounts.serializers import UserOutputSerializer


class MeView(OwnerView):
    """The signed-in user. A convenient first call for a frontend: it also creates the user on first sign-in."""

    @extend_schema(
        responses=inline_serializer(
            "MeResponse", {"success": serializers.BooleanField(), "user": UserOutputSerializer()}
        )
    )
    def get(self, request: Request) -> Response:
        return Response({"success": True, "user": UserOutputSerializer(self.owner).data})
