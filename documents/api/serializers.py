from urllib.parse import quote

from rest_framework import serializers

from documents.models import Document


class DocumentOutputSerializer(serializers.ModelSerializer):
    """A document without its text (which can be megabytes): what lists and the dashboard show."""

    status = serializers.SerializerMethodField()
    wordCount = serializers.IntegerField(source="word_count", allow_null=True)
    chunkCount = serializers.IntegerField(source="chunk_count", help_text="Annotated by the selector.")
    sourceUrl = serializers.CharField(source="source_url", allow_null=True)
    uploadedAt = serializers.DateTimeField(source="uploaded_at")
    processedAt = serializers.DateTimeField(source="processed_at", allow_null=True)
    downloadUrl = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = (
            "id",
            "name",
            "type",
            "size",
            "status",
            "error",
            "pages",
            "wordCount",
            "chunkCount",
            "sourceUrl",
            "uploadedAt",
            "processedAt",
            "downloadUrl",
        )
        read_only_fields = fields

    def get_status(self, document: Document) -> str:
        return document.status.lower()

    def get_downloadUrl(self, document: Document) -> str | None:
        if not document.file_path:
            return None
        return f"/api/bots/{document.bot.uuid}/files/{quote(document.name, safe='')}"


class SearchQueryInputSerializer(serializers.Serializer):
    """The retrieval tester's question (``GET /api/bots/{uuid}/search`` and the dashboard's tester)."""

    q = serializers.CharField(max_length=2000)
    k = serializers.IntegerField(min_value=1, max_value=50, default=5)
