"""Every route of the app on the quick start's SQLite database: run in a process of its own (the test suite's
database is PostgreSQL), as ``python config/tests/sqlite_walkthrough.py`` with ``DATABASE_URL=sqlite:///…``.

It migrates the file, then walks through what a user does: creates a bot with an uploaded file, searches its
knowledge base, sees it answer VAPI's knowledge-base request, receives calls on the webhook, has a visitor talk to
it through the widget's routes, reads every report and the call logs, exports them, then edits and deletes; and a
staff member opens every admin page. It prints one line per request and exits non-zero on the first answer that
is not the expected one (``config/tests/test_quickstart.py`` runs it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SECRET = "walkthrough-vapi-secret"
ASSISTANT = "asst_walkthrough"


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    assert connection.vendor == "sqlite", connection.vendor
    call_command("migrate", verbosity=0)
    settings.VAPI_WEBHOOK_SECRET = SECRET
    settings.ALLOWED_HOSTS = ["testserver"]

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from rest_framework.test import APIClient

    from accounts.models import User
    from bots.models import Bot, BotStatus

    owner = User.objects.create(id="user_walkthrough", email="owner@example.com")
    stranger = User.objects.create(id="user_stranger", email="stranger@example.com")
    api = APIClient()
    api.force_authenticate(owner)
    public = Client()

    def check(response, expected: int = 200, what: str = ""):
        line = f"{response.status_code} {response.request['REQUEST_METHOD']} {response.request['PATH_INFO']} {what}"
        sys.stdout.write(line + "\n")
        if response.status_code != expected:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            sys.exit(f"expected {expected}: {line}\n{body[:2000].decode(errors='replace')}")
        return response

    def body(response) -> dict:
        return response.json()

    def processed(uuid: str) -> None:
        """Wait for the bot's documents to be READY: without a broker they are processed in the background of the
        process that took the upload (common/tasking.py), while the API shows their progress."""
        deadline = time.monotonic() + 30
        while True:
            listed = body(api.get(f"/api/bots/{uuid}/documents"))
            statuses = {document["status"] for document in listed.get("documents", listed.get("results", []))}
            if statuses <= {"ready"}:
                return
            if "failed" in statuses or time.monotonic() > deadline:
                sys.exit(f"the documents of bot {uuid} were not processed: {listed}")
            time.sleep(0.05)

    # The user's first bot, with a file; VAPI is not configured here, so activation waits (PENDING).
    config = {
        "botName": "Front desk",
        "welcomeMessage": "Hello! Ask me about opening hours.",
        "systemPrompt": "You answer questions about the Riverside leisure centre.",
        "ragEnabled": True,
        "ragSourceType": "files",
    }
    faq = SimpleUploadedFile(
        "faq.txt",
        b"The swimming pool opens at seven and closes at ten.\n\nThe sauna is closed on Mondays.\n",
        content_type="text/plain",
    )
    created = body(check(api.post("/api/bots/create", {"config": json.dumps(config), "file_0": faq})))
    uuid = created["bot"]["uuid"] if "bot" in created else created["botId"]
    processed(uuid)
    bot = Bot.objects.get(uuid=uuid)
    Bot.objects.filter(pk=bot.pk).update(status=BotStatus.ACTIVE, vapi_assistant_id=ASSISTANT)

    check(api.get("/api/me"))
    check(api.get("/api/config"))
    check(api.get("/api/bots/list"))
    check(api.get("/api/bots"))
    check(api.get(f"/api/bots/{uuid}"))
    check(api.get(f"/api/bots/status/{uuid}"))
    check(api.patch(f"/api/bots/{uuid}", {"theme": "dark"}, format="json"))
    documents = body(check(api.get(f"/api/bots/{uuid}/documents")))
    document_id = documents["documents"][0]["id"] if "documents" in documents else documents["results"][0]["id"]
    check(api.get(f"/api/bots/{uuid}/documents/{document_id}"))
    download = check(api.get(f"/api/bots/{uuid}/files/faq.txt"))
    assert b"swimming pool" in b"".join(download.streaming_content)
    download.close()
    more = SimpleUploadedFile("more.txt", b"Parking is free for members.\n", content_type="text/plain")
    check(api.post(f"/api/bots/{uuid}/files", {"file_0": more}))
    processed(uuid)
    check(api.post(f"/api/bots/{uuid}/documents/{document_id}/reprocess"), 400, "(only a failed upload)")
    found = body(check(api.get(f"/api/bots/{uuid}/search", {"q": "when does the pool close"})))
    assert "pool" in json.dumps(found).lower(), found

    # VAPI asks the knowledge base during a call, then reports the call.
    knowledge = {
        "message": {
            "type": "knowledge-base-request",
            "call": {"id": "call_walk_1", "assistantId": ASSISTANT, "type": "webCall"},
            "messagesOpenAIFormatted": [{"role": "user", "content": "When does the swimming pool close?"}],
        }
    }
    from bots.vapi import bot_secret

    # The bot's own secret, as its assistant sends it (the per-bot statement runs on SQLite too).
    vapi = {"content_type": "application/json", "headers": {"x-vapi-secret": bot_secret(uuid)}}
    answer = body(check(public.post("/api/vapi/knowledge-base", knowledge, **vapi)))
    assert answer["documents"], answer
    call = {"id": "call_walk_1", "assistantId": ASSISTANT, "type": "webCall", "createdAt": "2026-11-20T09:59:58Z"}
    status = {"message": {"type": "status-update", "status": "in-progress", "call": {**call, "status": "in-progress"}}}
    check(public.post("/api/vapi/webhook", status, **vapi))
    report = {
        "message": {
            "type": "end-of-call-report",
            "endedReason": "customer-ended-call",
            "cost": 0.12,
            "startedAt": "2026-11-20T10:00:00Z",
            "endedAt": "2026-11-20T10:02:00Z",
            "call": {**call, "status": "ended"},
            "artifact": {
                "transcript": "AI: Hello!\nUser: When does the pool close?",
                "messages": [
                    {"role": "bot", "message": "Hello!", "secondsFromStart": 0.5},
                    {"role": "user", "message": "When does the pool close?", "secondsFromStart": 3.1},
                ],
            },
            "analysis": {"summary": "Pool hours.", "successEvaluation": "true"},
        }
    }
    check(public.post("/api/vapi/webhook", report, **vapi))
    check(public.post("/api/vapi/webhook", report, **vapi), what="(again: the same call)")
    check(public.post("/api/vapi/webhook", report, content_type="application/json"), 401, "(no secret)")

    # A visitor on the customer's site.
    check(public.get(f"/api/widget/{uuid}/config"))
    session = body(check(public.post("/api/analytics/sessions", {"botUuid": uuid}, content_type="application/json")))
    session_id = session["sessionId"]
    check(public.post(f"/api/analytics/sessions/{session_id}/interaction", {}, content_type="application/json"))
    check(public.post(f"/api/analytics/sessions/{session_id}/end", {}, content_type="application/json"))
    check(public.get("/api/vapi/navigation"))
    page = check(public.get("/test-embed", {"bot": uuid}))
    assert f'data-chatbot-uuid="{uuid}"' in page.content.decode(), page.content[:2000]
    script = check(public.get("/js/external-chatbot-voice.js"))
    assert b"data-chatbot-uuid" in (b"".join(script.streaming_content) if script.streaming else script.content)
    script.close()

    # The owner's reports, in a time zone, over every range.
    for time_range in ("7d", "30d", "90d", "all"):
        for route in ("overview", "bots", "calls", "sessions", "logs"):
            check(api.get(f"/api/analytics/{route}", {"timeRange": time_range, "tz": "Asia/Kolkata"}))
    logs = body(check(api.get("/api/analytics/logs", {"timeRange": "all", "status": "ended", "botUuid": uuid})))
    assert "call_walk_1" in json.dumps(logs), logs
    detail = body(check(api.get("/api/analytics/logs", {"callId": "call_walk_1"})))["call"]
    assert [m["message"] for m in detail["messages"]] == ["Hello!", "When does the pool close?"], detail
    assert detail["analysis"]["successEvaluation"] == "true", detail
    export = check(api.get("/api/analytics/calls/export", {"timeRange": "all"}))
    assert b"call_walk_1" in b"".join(export.streaming_content)
    export.close()
    check(api.get("/api/analytics/overview", {"timeRange": "1y"}), 400, "(bad range)")

    # Someone else sees none of it.
    other = APIClient()
    other.force_authenticate(stranger)
    check(other.get(f"/api/bots/{uuid}"), 404, "(a stranger)")
    assert body(check(other.get("/api/analytics/overview")))["overview"]["quickStats"][1]["value"] == 0

    check(api.get("/api/schema/"))
    check(api.get("/api/health"))

    # Staff browse everything.
    staff = User.objects.create_superuser(email="staff@example.com", password="walkthrough-password")
    admin = Client()
    admin.force_login(staff)
    check(admin.get("/admin/"))
    for model in ("accounts/user", "bots/bot", "documents/document", "analytics/session", "analytics/call"):
        check(admin.get(f"/admin/{model}/"))
        check(admin.get(f"/admin/{model}/", {"q": "walk"}), what="(search)")
    for url in (
        "/admin/accounts/user/add/",  # (records of the other tables come from the API, VAPI and the widget)
        f"/admin/bots/bot/{bot.pk}/change/",
        f"/admin/documents/document/{document_id}/change/",
        f"/admin/analytics/call/{bot.calls.get().pk}/change/",
        f"/admin/analytics/session/{bot.sessions.get().pk}/change/",
        f"/admin/accounts/user/{owner.pk}/change/",
    ):
        check(admin.get(url))
    selected = {"action": "export_as_csv", "_selected_action": [bot.calls.get().pk]}
    csv = check(admin.post("/admin/analytics/call/", selected))
    assert b"call_walk_1" in (b"".join(csv.streaming_content) if csv.streaming else csv.content)

    # The same owner in the dashboard pages: signed in with the login form (no Clerk here).
    owner.set_password("walkthrough-password")
    owner.save()
    browser = Client()
    check(browser.get("/"))
    check(browser.get("/dashboard"), 302, "(anonymous: to sign-in)")
    check(browser.get("/sign-in", {"next": "/dashboard"}))
    signed_in = {"username": owner.email, "password": "walkthrough-password", "next": "/dashboard"}
    check(browser.post("/sign-in", signed_in), 302)
    htmx = {"HTTP_HX_REQUEST": "true"}
    check(browser.get("/dashboard"))
    for url in ("/dashboard/analytics/summary", "/dashboard/storage", f"/dashboard/bots/{uuid}/status"):
        check(browser.get(url, **htmx))
    check(browser.get("/dashboard/bots/new"))
    form = {
        "name": "Evening line",
        "welcome_message": "Good evening!",
        "system_prompt": "You answer in the evening.",
        "language": "en",
        "voice": "jennifer",
        "position": "left",
        "theme": "dark",
        "rag_enabled": "on",
        "rag_source_type": "files",
        "tz": "Europe/Paris",
    }
    check(browser.post("/dashboard/bots/new", {**form, "name": ""}), 200, "(invalid: errors in the form)")
    second = check(browser.post("/dashboard/bots/new", form), 302)["Location"].rstrip("/").rsplit("/", 1)[1]
    check(browser.get(f"/dashboard/bots/{second}"))
    check(browser.post(f"/dashboard/bots/{second}", {**form, "name": "Late line"}), 302, "(edit)")
    check(browser.get(f"/dashboard/bots/{second}/knowledge", **htmx))
    note = SimpleUploadedFile("late.txt", b"The late line answers until midnight.\n", content_type="text/plain")
    check(browser.post(f"/dashboard/bots/{second}/documents/upload", {"files": [note]}, **htmx))
    processed(second)
    check(browser.get(f"/dashboard/bots/{second}/documents", **htmx))
    results = check(browser.get(f"/dashboard/bots/{second}/search", {"q": "midnight"}, **htmx))
    assert b"late.txt" in results.content, "the uploaded file is searchable on SQLite"
    late = Bot.objects.get(uuid=second).documents.get()
    check(browser.get(f"/dashboard/documents/{late.pk}/download"))
    check(browser.post(f"/dashboard/documents/{late.pk}/delete", **htmx))
    check(browser.get("/dashboard/analytics", {"timeRange": "all", "tz": "Europe/Paris"}))
    check(browser.get("/dashboard/analytics/calls", {"timeRange": "all", "status": "ended"}, **htmx))
    check(browser.get("/dashboard/analytics/calls/call_walk_1"))
    check(browser.get("/dashboard/analytics/sessions", **htmx))
    check(browser.get(f"/dashboard/bots/{second}/delete"))
    check(browser.post(f"/dashboard/bots/{second}/delete"), 302)
    stranger_pages = Client()
    stranger_pages.force_login(stranger)
    check(stranger_pages.get(f"/dashboard/bots/{uuid}"), 404, "(a stranger)")
    check(stranger_pages.get("/dashboard/analytics/calls/call_walk_1"), 404, "(a stranger)")
    check(browser.post("/sign-out"), 302)

    # And the owner deletes the bot: its documents, calls and sessions go with it.
    check(api.delete(f"/api/bots/{uuid}/documents/{document_id}"))
    check(api.delete(f"/api/bots/{uuid}"))
    assert not Bot.objects.exists()
    sys.stdout.write("walkthrough on SQLite: every route answered as expected\n")


if __name__ == "__main__":
    main()
