"""Give every READY document's chunks sentence vectors of the current model (after the model changed, or for the
documents processed while embeddings were off or their weights missing).

python manage.py embeddings_rebuild            # documents without vectors of the current model
python manage.py embeddings_rebuild --all      # every document's vectors again

Runs here, in this process (not on the workers), one document at a time; search keeps answering throughout: a
document's old vectors are searched until its new ones are all written.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from documents import vectors
from documents.models import Document, DocumentStatus


class Command(BaseCommand):
    help = "Compute the sentence vectors of the chunks of every READY document that lacks them for the current model."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="every READY document, whatever its vectors")

    def handle(self, *args, all: bool, **options) -> None:
        try:
            model = vectors.current_model()
        except vectors.VectorsUnavailable as exc:
            raise CommandError(f"No embedding model: {exc}") from None
        if all:
            documents = Document.objects.filter(status=DocumentStatus.READY).order_by("uploaded_at", "id")
        else:
            documents = vectors.documents_to_embed(model=model)
        ids = list(documents.values_list("id", flat=True))
        interactive = self.stderr.isatty()
        for number, document_id in enumerate(ids, start=1):
            outcome = vectors.document_embed(document_id=document_id, force=all)
            done = int(40 * number / len(ids))
            self.stderr.write(
                f"\r[{'#' * done:<40}] {number}/{len(ids)} documents: {document_id} {outcome}",
                ending="" if interactive else "\n",
            )
        if interactive and ids:
            self.stderr.write("")
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} documents embedded with {model}."))
