"""Documents that a lost worker or a lost task left behind are picked up again by beat: PROCESSING after its worker
died goes back to the queue, or FAILED once it has killed its worker three times; PENDING whose task was lost is
queued again. Nothing recent is touched, and one worker processes a document however often it is queued."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from documents import services, tasks
from documents.models import Document, DocumentStatus
from documents.services import MAX_PROCESSING_ATTEMPTS

pytestmark = pytest.mark.django_db

TEXT = b"The rooftop sauna opens at four and closes at ten.\n"


@pytest.fixture
def upload(rag_bot, media):
    """A stored upload in a given state, as the upload and a worker's claim would have left it."""

    def make(status: str, *, minutes_ago: int, attempts: int = 0) -> Document:
        when = timezone.now() - datetime.timedelta(minutes=minutes_ago)
        path = default_storage.save(f"uploads/{rag_bot.uuid}/sauna.txt", ContentFile(TEXT))
        return Document.objects.create(
            bot=rag_bot,
            name="sauna.txt",
            type="text/plain",
            size=len(TEXT),
            file_path=path,
            status=status,
            uploaded_at=when,
            processing_started_at=when if status == DocumentStatus.PROCESSING else None,
            processing_attempts=attempts,
        )

    return make


def recover(django_capture_on_commit_callbacks) -> int:
    with django_capture_on_commit_callbacks(execute=True):  # the queued tasks run, as a worker would
        return tasks.recover_stuck_documents.delay().get()


def test_a_claim_records_when_and_how_often(upload):
    document = upload(DocumentStatus.PENDING, minutes_ago=0)

    assert services.document_claim(document_id=document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.PROCESSING
    assert document.processing_attempts == 1
    assert timezone.now() - document.processing_started_at < datetime.timedelta(seconds=5)
    assert not services.document_claim(document_id=document.pk)  # a second worker gets nothing


def test_a_document_whose_worker_died_is_processed_again(upload, rag_bot, django_capture_on_commit_callbacks):
    document = upload(DocumentStatus.PROCESSING, minutes_ago=31, attempts=1)

    assert recover(django_capture_on_commit_callbacks) == 1

    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.processing_attempts == 2
    assert "rooftop sauna" in document.content
    rag_bot.refresh_from_db()
    assert rag_bot.documents_processed == 1


def test_a_document_that_killed_its_worker_three_times_fails_with_a_reason(
    upload, rag_bot, django_capture_on_commit_callbacks
):
    document = upload(DocumentStatus.PROCESSING, minutes_ago=31, attempts=MAX_PROCESSING_ATTEMPTS)
    rag_bot.documents_processed = 7  # stale: recounted from the table
    rag_bot.save()

    assert recover(django_capture_on_commit_callbacks) == 0

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.error.startswith("Processing did not finish after 3 attempts")
    assert document.processing_attempts == MAX_PROCESSING_ATTEMPTS
    rag_bot.refresh_from_db()
    assert (rag_bot.documents_processed, rag_bot.local_files_stored) == (0, 1)


def test_a_pending_document_whose_task_was_lost_is_queued_again(upload, django_capture_on_commit_callbacks):
    document = upload(DocumentStatus.PENDING, minutes_ago=45)

    assert recover(django_capture_on_commit_callbacks) == 1

    document.refresh_from_db()
    assert document.status == DocumentStatus.READY
    assert document.processing_attempts == 1


def test_recent_work_is_left_alone(upload, settings, django_capture_on_commit_callbacks):
    settings.DOCUMENT_PROCESSING_STUCK_MINUTES = 30
    processing = upload(DocumentStatus.PROCESSING, minutes_ago=29, attempts=1)
    pending = upload(DocumentStatus.PENDING, minutes_ago=29)
    ready = upload(DocumentStatus.READY, minutes_ago=600)
    failed = upload(DocumentStatus.FAILED, minutes_ago=600)

    assert recover(django_capture_on_commit_callbacks) == 0

    statuses = dict(Document.objects.values_list("pk", "status"))
    assert statuses == {
        processing.pk: DocumentStatus.PROCESSING,
        pending.pk: DocumentStatus.PENDING,
        ready.pk: DocumentStatus.READY,
        failed.pk: DocumentStatus.FAILED,
    }


def test_a_redelivered_task_of_a_killed_worker_leaves_the_document_to_the_sweeper(upload):
    # acks_late: the broker gives the killed worker's task to another worker, which finds the document PROCESSING.
    document = upload(DocumentStatus.PROCESSING, minutes_ago=1, attempts=1)

    assert tasks.process_document.delay(document.pk).get() == "not claimed"

    document.refresh_from_db()
    assert (document.status, document.processing_attempts) == (DocumentStatus.PROCESSING, 1)


def test_an_owner_asking_again_starts_the_attempts_over(upload, client_for, user):
    document = upload(DocumentStatus.FAILED, minutes_ago=60, attempts=MAX_PROCESSING_ATTEMPTS)

    services.document_reprocess(document=document)

    document.refresh_from_db()
    assert (document.status, document.processing_attempts) == (DocumentStatus.PENDING, 0)


def test_beat_runs_the_sweeper(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["recover-stuck-documents"]

    assert schedule["task"] == "documents.tasks.recover_stuck_documents"
    assert tasks.recover_stuck_documents.name == schedule["task"]


@pytest.mark.parametrize("unfinished", [services._processing_since_before, services._pending_since_before])
def test_the_sweeper_reads_the_index_of_unfinished_documents(unfinished):
    # Every five minutes: only the few documents not yet READY or FAILED are read, however large the table. (The
    # planner would scan a table this small; refused a scan, it must find the partial index usable for the query.)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = unfinished(timezone.now()).explain()

    assert "documents_unfinished_idx" in plan
