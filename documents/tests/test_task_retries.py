"""Processing retried after a transient database error: the retry carries on whether or not the first attempt's
claim (PENDING → PROCESSING) had committed before the error, and ends READY instead of FAILED or stuck."""

from __future__ import annotations

import pytest
from celery.exceptions import Retry
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import OperationalError

from bots.tests.worker import WorkerRun
from documents import services
from documents.models import DocumentStatus
from documents.tasks import process_document
from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_worker(monkeypatch) -> WorkerRun:
    return WorkerRun(monkeypatch)


@pytest.fixture
def pending_document(media, rag_bot):
    path = default_storage.save(f"uploads/{rag_bot.uuid}/hours.txt", ContentFile(b"We open at nine on weekdays."))
    return DocumentFactory(
        bot=rag_bot, name="hours.txt", file_path=path, status=DocumentStatus.PENDING, content="", processed_at=None
    )


def _fails_once(monkeypatch, name: str) -> list[dict]:
    real = getattr(services, name)
    calls: list[dict] = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, name, flaky)
    return calls


def test_a_retry_processes_the_document_its_first_attempt_had_claimed(as_worker, monkeypatch, pending_document):
    _fails_once(monkeypatch, "document_process")

    with pytest.raises(Retry):
        as_worker(process_document, pending_document.id)
    pending_document.refresh_from_db()
    assert pending_document.status == DocumentStatus.PROCESSING  # claimed, then the database went

    assert as_worker(process_document, pending_document.id, retries=1) == "done"

    pending_document.refresh_from_db()
    assert pending_document.status == DocumentStatus.READY
    assert pending_document.content == "We open at nine on weekdays."


def test_a_retry_claims_the_document_when_the_first_claim_was_lost(as_worker, monkeypatch, pending_document):
    _fails_once(monkeypatch, "document_claim")

    with pytest.raises(Retry):
        as_worker(process_document, pending_document.id)
    pending_document.refresh_from_db()
    assert pending_document.status == DocumentStatus.PENDING

    assert as_worker(process_document, pending_document.id, retries=1) == "done"

    pending_document.refresh_from_db()
    assert pending_document.status == DocumentStatus.READY


def test_a_first_attempt_still_leaves_a_claimed_document_alone(as_worker, pending_document):
    services.document_claim(document_id=pending_document.id)  # another worker has it

    assert as_worker(process_document, pending_document.id) == "not claimed"
