"""Request ids: taken from a sane X-Request-ID or generated, returned on every response, on every log line."""

from __future__ import annotations

import re

import pytest

from config.monitoring.context import current_request_id, sane_request_id

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "value",
    ["0b6f7c2a-1111-4222-8333-944445555666", "a1b2c3", "Root=1-5759e988-bd862e3f", "01HZX9V3J2Q8W0ABCDEF:span.7"],
)
def test_sane_ids_are_accepted(value):
    assert sane_request_id(value) == value


@pytest.mark.parametrize(
    "value",
    ["", "x" * 129, "has space", 'quote"', "new\nline", "-leading-dash", "ünïcode", "semi;colon", "<script>"],
)
def test_other_ids_are_refused(value):
    assert sane_request_id(value) is None


@pytest.mark.django_db
def test_an_id_is_generated_and_returned(client):
    response = client.get("/api/health")

    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert client.get("/api/health")["X-Request-ID"] != response["X-Request-ID"]


@pytest.mark.django_db
def test_a_sane_incoming_id_is_kept(client):
    response = client.get("/api/health", headers={"X-Request-ID": "lb-trace-42"})

    assert response["X-Request-ID"] == "lb-trace-42"


@pytest.mark.django_db
def test_an_insane_incoming_id_is_replaced(client):
    response = client.get("/api/health", headers={"X-Request-ID": 'evil" injected=1 ' + "x" * 200})

    assert GENERATED.fullmatch(response["X-Request-ID"])


@pytest.mark.django_db
def test_error_responses_carry_the_id_and_their_log_lines_too(client, records):
    response = client.get("/api/me", headers={"X-Request-ID": "trace-401"})  # no credentials: 401

    assert response.status_code == 401
    assert response["X-Request-ID"] == "trace-401"
    # Django logs the 401 after the middleware returned: the id comes from the request on the record.
    logged = [record for record in records if record.name == "django.request"]
    assert [record.request_id for record in logged] == ["trace-401"]
    assert current_request_id() is None


@pytest.mark.django_db
def test_log_lines_written_inside_the_view_carry_the_id(client, records, monkeypatch):
    from accounts.views import MeView

    def boom(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(MeView, "get", boom)
    monkeypatch.setattr(MeView, "permission_classes", [])
    monkeypatch.setattr(MeView, "authentication_classes", [])

    response = client.get("/api/me", headers={"X-Request-ID": "trace-500"})

    assert response.status_code == 500
    assert response.json() == {"success": False, "error": "Internal server error"}
    assert response["X-Request-ID"] == "trace-500"
    unhandled = [record for record in records if record.getMessage().startswith("Unhandled error on GET /api/me")]
    assert [record.request_id for record in unhandled] == ["trace-500"]


@pytest.mark.django_db
def test_pages_outside_the_api_get_an_id_too(client):
    assert GENERATED.fullmatch(client.get("/admin/login/")["X-Request-ID"])


@pytest.mark.django_db
def test_a_cross_origin_frontend_may_read_the_id(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.test"]

    response = client.get("/api/health", headers={"Origin": "https://app.example.test"})

    assert response["Access-Control-Expose-Headers"] == "X-Request-ID"
