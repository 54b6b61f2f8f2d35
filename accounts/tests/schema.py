"""The API's OpenAPI schema as a test oracle: ``assert_documented(response, "GET", "/api/bots/{uuid}")`` checks that
a response of the Django test client is what the schema says that operation answers (a documented status, a
documented media type, a body valid against the schema), with schemathesis' validator. Used with requests that
reach real successes, which generated requests rarely do (a bot with files, a search with hits, an activation)."""

from __future__ import annotations

import functools
import json

import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.core.transport import Response


@functools.cache
def api_schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves (built once: it depends on the code only)."""
    spec = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    return schemathesis.openapi.from_dict(spec)


def documented_statuses(method: str, path: str) -> set[int]:
    return {int(code) for code in api_schema().raw_schema["paths"][path][method.lower()]["responses"]}


def assert_documented(response, method: str, path: str) -> None:
    operation = api_schema().raw_schema["paths"][path][method.lower()]
    assert str(response.status_code) in operation["responses"], (response.status_code, sorted(operation["responses"]))
    documented = operation["responses"][str(response.status_code)].get("content", {})
    media_type = response.get("Content-Type", "").split(";")[0].strip()
    assert media_type in documented, (media_type, sorted(documented))
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    wrapped = Response(
        status_code=response.status_code,
        headers={name.lower(): [value] for name, value in response.items()},
        content=content,
        request=requests.Request(method.upper(), f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    api_schema()[path][method.upper()].validate_response(wrapped)  # raises, saying what differs
