"""OpenAPI is a tested artifact (STYLE.md 5), and CORS follows the contract."""

import pytest
from django.core.management import call_command

from config.tests.openapi_schema import served_spec


def test_the_schema_builds_without_warnings_and_validates(tmp_path):
    out = tmp_path / "schema.yml"

    # --fail-on-warn turns any warning (an unresolvable serializer, an unknown authenticator) into a failure.
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))

    schema = out.read_text()
    assert "/api/me:" in schema
    assert "/api/webhooks/clerk:" in schema
    assert "ClerkSession:" in schema


def _is_bare_object(schema: dict) -> bool:
    """``{"type": "object"}`` saying nothing of its fields: a shape the schema does not describe (issue 14)."""
    return (
        schema.get("type") == "object"
        and not schema.get("properties")
        and not schema.get("additionalProperties")  # {} or True: anything goes
        and not any(key in schema for key in ("allOf", "oneOf", "anyOf", "$ref"))
    )


def test_every_request_and_response_is_typed_and_every_error_documented():
    spec = served_spec()
    untyped, undocumented = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            bodies = [("request", operation.get("requestBody", {})), *operation["responses"].items()]
            for where, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    if _is_bare_object(content.get("schema", {})):
                        untyped.append(f"{label} {where} {media_type}")
            for status in ("400", "429", "503"):
                error = operation["responses"].get(status, {}).get("content", {}).get("application/json", {})
                # The error contract's body; /api/health and /api/ready answer 503 with their own report.
                if error.get("schema") != {"$ref": "#/components/schemas/Error"} and not (status == "503" and error):
                    undocumented.append(f"{label} {status}")
    assert untyped == []
    assert undocumented == []
    for name, component in spec["components"]["schemas"].items():
        assert not _is_bare_object(component), name


def test_errors_are_documented_by_what_an_operation_is():
    operations = served_spec()["paths"]
    # Signed in: 401, and 403 (CSRF) for a write; a path parameter: 404; a body: 409, 413, 415.
    assert {"401", "403", "404", "409", "413", "415"} <= set(operations["/api/bots/{uuid}"]["patch"]["responses"])
    assert {"401", "404"} <= set(operations["/api/bots/{uuid}"]["get"]["responses"])
    assert "403" not in operations["/api/bots/{uuid}"]["get"]["responses"]
    # Public: no 401.
    assert "401" not in operations["/api/widget/{uuid}/config"]["get"]["responses"]
    assert "404" in operations["/api/widget/{uuid}/config"]["get"]["responses"]


@pytest.mark.django_db
def test_schema_endpoint_and_interactive_docs(client):
    schema = client.get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Voice Bot API"

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page
    # Swagger UI's files are ours (drf-spectacular-sidecar, served by whitenoise), not a CDN's.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/bots/status/0b6f7c2a-1111-4222-8333-944445555666", "GET"),
        ("/api/config", "GET"),
        ("/api/vapi/navigation", "POST"),
    ],
)
def test_public_widget_routes_answer_any_origin(client, path, method):
    response = client.options(
        path, headers={"Origin": "https://some-customer.example", "Access-Control-Request-Method": method}
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://some-customer.example"
    assert method in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_other_api_routes_answer_only_the_configured_origins(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.test"]
    preflight = {"Access-Control-Request-Method": "GET"}

    allowed = client.options("/api/me", headers={"Origin": "https://app.example.test", **preflight})
    refused = client.options("/api/me", headers={"Origin": "https://evil.example", **preflight})

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.test"
    assert "Access-Control-Allow-Origin" not in refused
