from rest_framework import serializers

from accounts.models import User


class UserOutputSerializer(serializers.ModelSerializer):
    """The signed-in user, in the legacy contract's camelCase."""

    firstName = serializers.CharField(source="first_name", allow_null=True)
    lastName = serializers.CharField(source="last_name", allow_null=True)
    imageUrl = serializers.CharField(source="image_url", allow_null=True)
    emailIsPlaceholder = serializers.BooleanField(
        source="has_placeholder_email",
        help_text="True while we hold a placeholder address because Clerk has not told us the real one yet.",
    )
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = User
        fields = ("id", "email", "emailIsPlaceholder", "firstName", "lastName", "imageUrl", "createdAt")
        read_only_fields = fields
