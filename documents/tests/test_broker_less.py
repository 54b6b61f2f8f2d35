"""Documents in the broker-less mode (no ``CELERY_BROKER_URL``: the documented quick start). Large uploads, as a
web server runs them (gunicorn on PostgreSQL): each answers as soon as its file is stored, far within gunicorn's
worker timeout, its processing runs in the background of the web process, and the documents end READY. And a
document that a killed process left PROCESSING is recovered by the beat that each web process runs."""

from __future__ import annotations

import datetime
import random
import re
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import UserFactory
from bots.tests.factories import BotFactory
from common.tasking import background
from config.tests.processes import free_port, serving
from conftest import public_pem
from documents.models import Document, DocumentStatus

# transaction=True: other processes and threads must see the rows, and what they write is flushed afterwards.
pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD_BYTES = 49 * 1024 * 1024
# gunicorn's default worker timeout (gunicorn.conf.py): a request that takes longer is killed with its worker.
WORKER_TIMEOUT = 30
# An upload's request stores the file and queues its processing: seconds, whatever the file's size.
PROMPT = 10
VOCABULARY = (
    "the pool opens at seven and closes at ten members park for free sauna towels desk breakfast garden "
    "rooftop check-in afternoon winter evening guests lockers classes swimming lessons children weekend"
)


def _database_url() -> str:
    db = connection.settings_dict  # the test database, already migrated
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _large_text(path: Path) -> Path:
    """About 49 MB of sentences and paragraphs (a block of random prose repeated), as a long export would be."""
    rng, words = random.Random(13), VOCABULARY.split()
    sentences = [" ".join(rng.choices(words, k=rng.randint(6, 24))).capitalize() + "." for _ in range(4000)]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    block = ("\n\n".join(paragraphs) + "\n\n").encode()
    with path.open("wb") as out:
        written = 0
        while written + len(block) <= UPLOAD_BYTES:
            written += out.write(block)
    return path


@pytest.mark.slow
def test_three_large_uploads_answer_at_once_and_are_processed_in_the_background(
    tmp_path, clerk_private_key, make_token
):
    user = UserFactory()
    bot = BotFactory(user=user, active=True, rag_enabled=True, rag_source_type="FILES")
    text = _large_text(tmp_path / "export.txt")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CLERK_JWT_KEY": public_pem(clerk_private_key),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "WEB_CONCURRENCY": "3",
        "GUNICORN_TIMEOUT": str(WORKER_TIMEOUT),
        # No CELERY_BROKER_URL, and the default way of running tasks without one.
    }
    gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]

    def upload(number: int) -> tuple[int, float, str]:
        started = time.monotonic()
        with text.open("rb") as file, httpx.Client(timeout=WORKER_TIMEOUT * 3) as client:
            try:
                response = client.post(
                    f"http://127.0.0.1:{port}/api/bots/{bot.uuid}/files",
                    files={"file_0": (f"export-{number}.txt", file, "text/plain")},
                    headers={"Authorization": f"Bearer {make_token(user)}"},
                )
            except httpx.TransportError as exc:  # the worker was killed under the request
                return 0, time.monotonic() - started, repr(exc)
        return response.status_code, time.monotonic() - started, response.text[:300]

    with serving(gunicorn, port=port, log=log, **env) as server:
        with ThreadPoolExecutor(max_workers=3) as uploads:
            answers = list(uploads.map(upload, range(3)))

        for status, seconds, body in answers:
            assert status == 200, (status, seconds, body)
            assert seconds < PROMPT, f"an upload took {seconds:.1f} s"
        documents = Document.objects.filter(bot=bot)
        assert documents.count() == 3
        assert documents.exclude(status=DocumentStatus.READY).exists(), "processed inside the upload requests"

        # The documents' progress, as the API shows it, until every one is READY.
        deadline = time.monotonic() + 600
        while documents.exclude(status=DocumentStatus.READY).exists():
            assert not documents.filter(status=DocumentStatus.FAILED).exists(), list(documents.values("error"))
            assert time.monotonic() < deadline, list(documents.values("name", "status", "processing_attempts"))
            listed = server.get(
                f"/api/bots/{bot.uuid}/documents", headers={"Authorization": f"Bearer {make_token(user)}"}
            )
            assert listed.status_code == 200
            time.sleep(2)

    for document in documents:
        assert document.processing_attempts == 1  # no worker died under it
        assert document.word_count > 7_000_000  # the whole file
    output = log.read_text()
    assert not re.search(r"WORKER TIMEOUT|Worker \(pid:\d+\) was sent", output), output[-3000:]


@pytest.fixture
def web_process(settings):
    """This process as a web process without a broker: its first request starts its background worker and beat."""
    settings.TASKS_WITHOUT_BROKER = "background"
    # The beat's own schedule, but for the call sync (a request to VAPI).
    settings.CELERY_BEAT_SCHEDULE = {k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k != "sync-calls"}
    yield
    background.stop()


def test_the_beat_of_a_web_process_recovers_a_document_a_killed_process_left_processing(
    settings, media, web_process, client
):
    settings.DOCUMENT_PROCESSING_STUCK_MINUTES = 1  # 30 by default
    bot = BotFactory(user=UserFactory(), active=True, rag_enabled=True, rag_source_type="FILES")
    path = default_storage.save(f"uploads/{bot.uuid}/sauna.txt", ContentFile(b"The sauna opens at four.\n"))

    def processing(name: str, *, since: datetime.datetime) -> Document:
        # As a process killed while processing it left it: claimed, never finished.
        return Document.objects.create(
            bot=bot,
            name=name,
            type="text/plain",
            size=25,
            file_path=path,
            status=DocumentStatus.PROCESSING,
            uploaded_at=since,
            processing_started_at=since,
            processing_attempts=1,
        )

    stranded = processing("sauna.txt", since=timezone.now() - datetime.timedelta(minutes=2))
    recent = processing("pool.txt", since=timezone.now())

    assert client.get("/api/health").status_code == 200  # the process's first request: its beat sweeps at once
    deadline = time.monotonic() + 20
    while not Document.objects.filter(pk=stranded.pk, status=DocumentStatus.READY).exists():
        assert time.monotonic() < deadline, Document.objects.values_list("status", "error").get(pk=stranded.pk)
        time.sleep(0.1)
    background.stop()

    stranded.refresh_from_db()
    assert (stranded.processing_attempts, stranded.word_count) == (2, 5)
    recent.refresh_from_db()
    assert recent.status == DocumentStatus.PROCESSING  # its process may still be at work
