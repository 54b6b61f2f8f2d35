"""Uploads through the legacy file routes: limits (413), types (415), safe names, duplicates, downloads, and
memory that stays flat however large the file."""

from __future__ import annotations

import json
import tracemalloc
import urllib.parse

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import LimitedStream

from accounts.tests.scoping import assert_owner_only
from bots.models import Bot
from documents.models import Document
from documents.tests.pdfgen import make_pdf
from documents.uploads import sanitize_filename

pytestmark = pytest.mark.django_db


def upload(client, bot, *files: SimpleUploadedFile):
    data = {f"file_{index}": file for index, file in enumerate(files)}
    return client.post(f"/api/bots/{bot.uuid}/files", data, format="multipart")


def text_file(name="faq.txt", content=b"Opening hours are 9 to 5.\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def test_upload_stores_the_original_and_answers_the_legacy_shape(client_for, user, rag_bot, media):
    response = upload(client_for(user), rag_bot, text_file(), SimpleUploadedFile("menu.pdf", make_pdf(["Soup"])))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["message"] == "Successfully uploaded 2 files to bot"
    assert body["filesUploaded"] == 2
    assert [(f["name"], f["type"]) for f in body["files"]] == [
        ("faq.txt", "text/plain"),
        ("menu.pdf", "application/pdf"),
    ]
    assert {"name", "size", "type", "chunks"} <= set(body["files"][0])
    assert (media / "uploads" / rag_bot.uuid / "faq.txt").read_bytes() == b"Opening hours are 9 to 5.\n"
    rag_bot.refresh_from_db()
    assert rag_bot.local_files_stored == Document.objects.filter(bot=rag_bot, file_path__isnull=False).count() == 2


def test_upload_is_owner_only(user, other_user, client_for, rag_bot, media):
    assert_owner_only(
        method="post",
        url=f"/api/bots/{rag_bot.uuid}/files",
        data={"file_0": text_file()},
        format="multipart",
        owner=user,
        stranger=other_user,
        client_for=client_for,
    )


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("re\x00port\x1b[31m.txt", "report[31m.txt"),
        ("  .hidden.md", "hidden.md"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("", "file"),
    ],
)
def test_names_are_sanitised(name, stored):
    assert sanitize_filename(name) == stored


def test_traversal_names_stay_in_the_bots_folder(client_for, user, rag_bot, media):
    upload(client_for(user), rag_bot, text_file("../../../outside.txt"))

    document = Document.objects.get()
    assert document.file_path == f"uploads/{rag_bot.uuid}/outside.txt"
    assert not (media.parent / "outside.txt").exists()


def test_duplicate_names_get_a_suffix(client_for, user, rag_bot, media):
    client = client_for(user)
    upload(client, rag_bot, text_file(content=b"first"))
    upload(client, rag_bot, text_file(content=b"second"))

    names = sorted(Document.objects.values_list("name", flat=True))
    assert names[0] == "faq.txt"
    assert names[1].startswith("faq_")
    assert names[1].endswith(".txt")
    with default_storage.open(f"uploads/{rag_bot.uuid}/faq.txt") as original:
        assert original.read() == b"first"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("invoice.pdf", b"this is not a pdf at all"),
        ("notes.txt", bytes(range(256)) * 10),
        ("data.json", b"not json"),
        ("image.png", b"\x89PNG\r\n\x1a\n"),
    ],
)
def test_unsupported_types_are_415_and_nothing_is_stored(client_for, user, rag_bot, media, name, content):
    response = upload(client_for(user), rag_bot, text_file(), SimpleUploadedFile(name, content))

    assert response.status_code == 415
    assert response.json()["success"] is False
    assert name.split(".")[0] in response.json()["error"]
    assert not Document.objects.exists()
    assert not (media / "uploads").exists() or not any((media / "uploads").rglob("*.*"))


def test_too_large_is_413_and_nothing_is_stored(client_for, user, rag_bot, media, settings):
    settings.MAX_UPLOAD_MB = 1

    response = upload(client_for(user), rag_bot, text_file(content=b"a" * (1024 * 1024 + 1)))

    assert response.status_code == 413
    assert response.json() == {"success": False, "error": "faq.txt is larger than 1 MB"}
    assert not Document.objects.exists()


def test_a_request_body_over_the_total_limit_is_refused_before_it_is_read(client_for, user, rag_bot, settings):
    settings.MAX_UPLOAD_REQUEST_MB = 1

    response = upload(client_for(user), rag_bot, text_file(content=b"a" * (1024 * 1024 + 10)))

    assert response.status_code == 413
    assert response.json()["error"] == "The upload is larger than 1 MB"


@pytest.mark.parametrize(
    ("setup", "error"),
    [("no-rag", "Bot not found or RAG not enabled"), ("no-files", "No files provided")],
)
def test_upload_errors_of_the_spec(client_for, user, rag_bot, setup, error):
    if setup == "no-rag":
        Bot.objects.filter(pk=rag_bot.pk).update(rag_enabled=False)
        response = upload(client_for(user), rag_bot, text_file())
    else:
        response = client_for(user).post(f"/api/bots/{rag_bot.uuid}/files", {"other": "x"}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": error}


# --- List and download --------------------------------------------------------------------------------------------


def test_list_is_owner_only_with_the_legacy_shape(user, other_user, client_for, rag_bot, media):
    upload(client_for(user), rag_bot, text_file("Q&A 2024.txt"))

    body = assert_owner_only(
        method="get", url=f"/api/bots/{rag_bot.uuid}/files", owner=user, stranger=other_user, client_for=client_for
    ).json()

    assert body["success"] is True
    assert body["botUuid"] == rag_bot.uuid
    assert body["totalFiles"] == 1
    (entry,) = body["files"]
    assert entry["name"] == "Q&A 2024.txt"
    assert entry["downloadUrl"] == f"/api/bots/{rag_bot.uuid}/files/{urllib.parse.quote('Q&A 2024.txt', safe='')}"
    assert body["metadata"]["botName"] == rag_bot.name
    assert body["metadata"]["userId"] == user.pk


def test_list_of_another_users_bot_says_not_found_or_denied(client_for, other_user, rag_bot):
    response = client_for(other_user).get(f"/api/bots/{rag_bot.uuid}/files")

    assert response.json() == {"success": False, "error": "Bot not found or access denied"}


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("faq.txt", b"Hello", "text/plain"),
        ("menu.pdf", make_pdf(["Soup"]), "application/pdf"),
        ("data.json", b'{"a": 1}', "application/json"),
        ("table.csv", b"a,b\n1,2\n", "text/csv"),
        ("readme.md", b"# Title", "text/markdown"),
        ("page.html", b"<html><body>Hi</body></html>", "application/octet-stream"),
    ],
)
def test_download_with_the_originals_headers(client_for, user, rag_bot, media, name, content, content_type):
    client = client_for(user)
    upload(client, rag_bot, SimpleUploadedFile(name, content))

    response = client.get(f"/api/bots/{rag_bot.uuid}/files/{urllib.parse.quote(name)}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Bot-UUID"] == rag_bot.uuid
    assert response["X-File-Name"] == name


def test_download_is_owner_only(user, other_user, client_for, rag_bot, media):
    upload(client_for(user), rag_bot, text_file())

    response = assert_owner_only(
        method="get",
        url=f"/api/bots/{rag_bot.uuid}/files/faq.txt",
        owner=user,
        stranger=other_user,
        client_for=client_for,
    )
    assert b"".join(response.streaming_content) == text_file().read()
    response.close()


def test_download_of_a_missing_file(client_for, user, rag_bot):
    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/files/nothing.txt")

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "File not found"}


@pytest.mark.parametrize("name", ["..%2F..%2Fconfig%2Fsettings.py", "sub/dir.txt", "..%5Csecret.txt"])
def test_download_traversal_is_403(client_for, user, rag_bot, name):
    response = client_for(user).get(f"/api/bots/{rag_bot.uuid}/files/{name}")

    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "Access denied - security violation"}


def test_direct_access_to_uploads_is_blocked(client):
    response = client.get("/uploads/some-bot/faq.txt")

    assert response.status_code == 404
    assert response.json()["code"] == "UPLOADS_BLOCKED"


# --- Memory --------------------------------------------------------------------------------------------------------


def test_memory_stays_flat_on_a_50_mb_upload(client_for, user, rag_bot, media, tmp_path, make_token, rf):
    """The request body is read from a file on disk, chunk by chunk, as from a socket; the view must not hold the
    upload in memory: the peak of Python allocations stays a small fraction of the file's 50 MB."""
    from documents.api.views import FilesView

    size = 50 * 1024 * 1024
    boundary = "----voicebot-boundary"
    body_path = tmp_path / "body"
    with body_path.open("wb") as body:
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file_0"; filename="big.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n".encode()
        )
        line = b"The quick brown fox jumps over the lazy dog. " * 20 + b"\n"
        written = 0
        while written + len(line) <= size:  # as close to the 50 MB limit as whole lines get
            body.write(line)
            written += len(line)
        body.write(f"\r\n--{boundary}--\r\n".encode())
    length = body_path.stat().st_size
    token = make_token(user)

    with body_path.open("rb") as stream:
        request = rf.post(
            f"/api/bots/{rag_bot.uuid}/files",
            data=b"",
            content_type=f"multipart/form-data; boundary={boundary}",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        request.META["CONTENT_TYPE"] = f"multipart/form-data; boundary={boundary}"
        request.META["CONTENT_LENGTH"] = str(length)
        request._stream = LimitedStream(stream, length)  # what a WSGI server hands over: a socket-like stream
        tracemalloc.start()
        try:
            response = FilesView.as_view()(request, uuid=rag_bot.uuid)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            request.close()  # what the handler does after a response: closes the uploaded temporary files

    assert response.status_code == 200, response.data
    assert Document.objects.get().size == written
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- Storage ------------------------------------------------------------------------------------------------------


def test_originals_go_through_the_storage_api(client_for, user, rag_bot, settings, django_capture_on_commit_callbacks):
    """Swapping the default storage (here Django's in-memory one, in production Azure Blob) changes nothing."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    client = client_for(user)

    upload(client, rag_bot, text_file(content=b"kept in memory"))
    response = client.get(f"/api/bots/{rag_bot.uuid}/files/faq.txt")

    assert b"".join(response.streaming_content) == b"kept in memory"
    document = Document.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.delete(f"/api/bots/{rag_bot.uuid}/documents/{document.pk}")
    assert not default_storage.exists(document.file_path)


def test_azure_settings_select_the_azure_storage():
    from config.tests.processes import manage

    script = "from django.conf import settings as s; import json; print(json.dumps(s.STORAGES['default']))"
    result = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        script,
        AZURE_CONTAINER="originals",
        AZURE_ACCOUNT_NAME="voicebotstorage",
        AZURE_ACCOUNT_KEY="a2V5",
    )

    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout)
    assert storage["BACKEND"] == "storages.backends.azure_storage.AzureStorage"
    assert storage["OPTIONS"]["azure_container"] == "originals"
    assert storage["OPTIONS"]["account_name"] == "voicebotstorage"
    assert storage["OPTIONS"]["overwrite_files"] is False


def test_the_azure_backend_is_importable_and_configured_from_those_options():
    from storages.backends.azure_storage import AzureStorage

    storage = AzureStorage(azure_container="originals", account_name="voicebotstorage", account_key="a2V5")

    assert storage.azure_container == "originals"
    assert storage.account_name == "voicebotstorage"


# --- Uploads and deletes that race, and files without their rows -------------------------------------------------


def test_an_upload_for_a_bot_deleted_meanwhile_is_404_and_stores_nothing(client_for, user, rag_bot, media):
    # The bot was found, then deleted before the upload locked it: nothing may be stored under a bot that is gone.
    from bots import services as bot_services

    real_lock = bot_services.bot_lock

    def lock_after_the_delete(*, bot, **kwargs):
        Bot.objects.filter(pk=bot.pk).delete()
        return real_lock(bot=bot, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("documents.services.bot_lock", lock_after_the_delete)
        response = upload(client_for(user), rag_bot, text_file())

    assert response.status_code == 404
    assert response.json() == {"success": False, "error": "Bot not found"}
    assert not Document.objects.exists()
    assert not (media / "uploads").exists() or not any((media / "uploads").rglob("*.*"))


@pytest.mark.django_db(transaction=True)
def test_files_stored_for_rows_that_never_commit_are_removed(client_for, user, rag_bot, media, monkeypatch):
    # The commit itself fails (the database went away at that moment, say): the rows are not there, nor their files.
    from django.db import connection
    from django.db.utils import OperationalError

    real_commit = connection.commit

    def commit_fails():
        connection.commit = real_commit  # once
        connection.rollback()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "commit", commit_fails)

    response = upload(client_for(user), rag_bot, text_file(), text_file("prices.md", b"# Prices"))

    assert response.status_code == 503
    assert not Document.objects.exists()
    assert not any((media / "uploads").rglob("*.*"))


def test_the_answer_of_an_upload_whose_document_was_deleted_right_after_is_still_200(
    client_for, user, rag_bot, media, monkeypatch
):
    # Its bot deleted in another tab right after the upload committed: the answer reports what was stored.
    from documents.api import views

    real = views.services.documents_upload

    def upload_then_delete(**kwargs):
        documents = real(**kwargs)
        Document.objects.filter(pk__in=[d.pk for d in documents]).delete()
        return documents

    monkeypatch.setattr(views.services, "documents_upload", upload_then_delete)

    response = upload(client_for(user), rag_bot, text_file())

    assert response.status_code == 200
    assert [f["name"] for f in response.json()["files"]] == ["faq.txt"]


def test_the_sweeper_deletes_old_files_that_no_document_names(rag_bot, media):
    import datetime
    import os

    from documents.services import ORPHAN_GRACE, stored_files_remove_orphans

    kept = Document.objects.create(bot=rag_bot, name="kept.txt", type="text/plain", size=1, file_path="")
    folder = media / "uploads" / rag_bot.uuid
    gone_bot = media / "uploads" / "0b6f7c2a-1111-4222-8333-944445555666"
    for path in (folder / "kept.txt", folder / "orphan.txt", folder / "fresh.txt", gone_bot / "left.pdf"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    Document.objects.filter(pk=kept.pk).update(file_path=f"uploads/{rag_bot.uuid}/kept.txt")
    old = (datetime.datetime.now() - ORPHAN_GRACE - datetime.timedelta(minutes=1)).timestamp()  # noqa: DTZ005
    for path in (folder / "kept.txt", folder / "orphan.txt", gone_bot / "left.pdf"):
        os.utime(path, (old, old))

    assert stored_files_remove_orphans() == 2

    assert sorted(p.name for p in media.rglob("*.*")) == ["fresh.txt", "kept.txt"]  # fresh: maybe an upload under way
    assert stored_files_remove_orphans() == 0


def test_the_sweeper_without_any_upload_yet(media, db):
    from documents.services import stored_files_remove_orphans

    assert stored_files_remove_orphans() == 0


def test_beat_runs_the_orphan_sweeper(settings):
    from documents import tasks

    schedule = settings.CELERY_BEAT_SCHEDULE["remove-orphaned-files"]
    assert schedule["task"] == tasks.remove_orphaned_files.name == "documents.tasks.remove_orphaned_files"


def test_uploads_and_the_sweeper_on_azure_blob_storage(client_for, user, rag_bot, azure_uploads):
    import time

    from documents.services import ORPHAN_GRACE, stored_files_remove_orphans

    assert upload(client_for(user), rag_bot, text_file()).status_code == 200
    kept = f"uploads/{rag_bot.uuid}/faq.txt"
    orphan, fresh = f"uploads/{rag_bot.uuid}/orphan.txt", "uploads/0b6f7c2a-1111-4222-8333-944445555666/left.txt"
    for name in (orphan, fresh):
        azure_uploads.blobs[name] = b"x"
        azure_uploads.modified[name] = time.time()
    for name in (kept, orphan):
        azure_uploads.modified[name] = time.time() - ORPHAN_GRACE.total_seconds() - 60

    assert stored_files_remove_orphans() == 1

    assert sorted(azure_uploads.blobs) == [fresh, kept]  # fresh: maybe an upload under way
