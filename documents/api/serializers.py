from urllib.parse import quote

from rest_framework import serializers

from bots.api.serializers import LowerCaseChoiceField, TextField
from common.inputs import machine_field
from documents.models import Document, DocumentStatus


class DocumentOutputSerializer(serializers.ModelSerializer):
    """A document without its text (which can be megabytes): what lists and the dashboard show."""

    status = LowerCaseChoiceField(DocumentStatus)
    wordCount = serializers.IntegerField(source="word_count", allow_null=True)
    chunkCount = serializers.IntegerField(source="chunk_count", help_text="Annotated by the selector.")
    sourceUrl = serializers.CharField(source="source_url", allow_null=True)
    uploadedAt = serializers.DateTimeField(source="uploaded_at")
    processedAt = serializers.DateTimeField(source="processed_at", allow_null=True)
    embeddedAt = serializers.DateTimeField(
        source="embedded_at",
        allow_null=True,
        help_text="When its chunks got their sentence vectors; null while full-text search answers for it alone.",
    )
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
            "embeddedAt",
            "downloadUrl",
        )
        read_only_fields = fields

    def get_downloadUrl(self, document: Document) -> str | None:
        if not document.file_path:
            return None
        return f"/api/bots/{document.bot.uuid}/files/{quote(document.name, safe='')}"


class DocumentDetailSerializer(DocumentOutputSerializer):
    """One document with its extracted text."""

    class Meta(DocumentOutputSerializer.Meta):
        fields = (*DocumentOutputSerializer.Meta.fields, "content")
        read_only_fields = fields


class FilesUploadInputSerializer(serializers.Serializer):
    """The multipart form of the legacy ``POST /api/bots/{uuid}/files`` (documents it; the view reads the parts)."""

    file_0 = serializers.FileField(
        required=False,
        help_text="A file (PDF, DOCX, TXT, MD, CSV, JSON or HTML); any number of them, in parts named file_0, "
        "file_1, … (any name starting with file_). At least one is needed (400 otherwise).",
    )


class SearchQueryInputSerializer(serializers.Serializer):
    """The retrieval tester's question (``GET /api/bots/{uuid}/search`` and the dashboard's tester)."""

    q = TextField(max_length=2000, help_text="The question, as a caller would ask it.")
    k = serializers.IntegerField(min_value=1, max_value=50, default=5, help_text="How many chunks, at most.")


class SearchHitOutputSerializer(serializers.Serializer):
    """A chunk the retrieval tester found, best first."""

    content = serializers.CharField()
    score = serializers.FloatField(help_text="The fused score (0..1) that orders the hits.")
    ftsScore = serializers.FloatField(
        allow_null=True, help_text="Full-text rank (0..1); null when the chunk lacks some of the question's words."
    )
    vectorScore = serializers.FloatField(
        allow_null=True, help_text="Cosine similarity to the question; null when the bot has no sentence vectors."
    )
    documentId = serializers.CharField()
    documentName = serializers.CharField()
    position = serializers.IntegerField(help_text="The chunk's place in its document, from 0.")

    class Meta:
        ref_name = "SearchHit"


# --- VAPI's knowledge-base request (what the view reads of it; VAPI sends more) ----------------------------------


class KnowledgeBaseMessageSerializer(serializers.Serializer):
    type = machine_field('"knowledge-base-request"; any other type gets no documents.')
    call = machine_field("The call: its assistantId names the bot's assistant.")
    assistant = machine_field("The assistant: its id, or our bot's uuid in metadata.botUuid, when the call names none.")
    messagesOpenAIFormatted = machine_field(
        'The conversation: the last {"role": "user", "content": "…"} is the question.'
    )
    messages = machine_field(
        'The conversation in VAPI\'s form ({"role": "user", "message": "…"}), when the other is absent.'
    )


class KnowledgeBaseRequestSerializer(serializers.Serializer):
    """VAPI's ``knowledge-base-request`` server message. Unknown keys are allowed (and ignored)."""

    message = KnowledgeBaseMessageSerializer(required=False)
