"""The OpenAPI schema tells the truth about errors: every operation lists every error status it can answer, each
with the error contract's body (``common.errors``: ``{"success": false, "error": "<message>", …}``).

drf-spectacular documents what a view declares; the errors come from layers the view does not see (the middleware
that refuses a NUL in a URL, the rate limits, authentication, the parsers, the database). ``AutoSchema`` adds them
by rule, from what each operation is, so that a new view is documented truthfully without a line of its own:

- every operation: 400 (a malformed request: a NUL in the URL, a parameter out of its bounds), 429 (rate limits,
  ``accounts.ratelimit``, in front of every route) and 503 (the database does not answer, ``Retry-After`` set);
- an operation that needs a signed-in user: 401, and 403 for unsafe methods (a write signed in by Clerk's cookie that
  comes from another origin, or proves neither its origin nor a CSRF token: accounts/authentication.py);
- a path with parameters: 404 (no such record, or another user's: the two are the same answer);
- a request body: 413 (too large), 415 (a media type the operation does not parse), 409 for writes (a conflict
  with existing data, ``IntegrityError``).

A view adds what only it can answer through ``@extend_schema(responses={…})`` (e.g. 401 from a shared secret,
409 for a duplicate); what it declares wins over the rule. Set as DRF's ``DEFAULT_SCHEMA_CLASS``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error: the message says what went wrong; some errors add detail keys.",
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "error": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": True,
            "description": "Validation errors: the messages of each field.",
        },
        "detail": {"type": "string", "description": "Why authentication failed."},
        "retryAfter": {"type": "integer", "nullable": True, "description": "Seconds to wait (429)."},
    },
    "required": ["success", "error"],
    "additionalProperties": True,
}

DESCRIPTIONS = {
    400: "Bad request: a malformed URL or body, or a parameter that breaks the rules the schema states",
    401: "Unauthorized: no valid Clerk session token",
    403: "Forbidden: a cookie-authenticated write from another origin, or that proves neither its origin nor a CSRF "
    "token; or a refused path",
    404: "Not found (or not yours: the answer is the same)",
    409: "Conflict with the current state of the data",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests: rate limited (Retry-After)",
    503: "Service unavailable: the database or a service we depend on does not answer (Retry-After)",
}

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(openapi.AutoSchema):
    def error_statuses(self) -> list[int]:
        """The error statuses this operation can answer, by rule (see the module's docstring)."""
        statuses = [400, 429, 503]
        if self._requires_sign_in():
            statuses.append(401)
            if self.method in UNSAFE_METHODS:
                statuses.append(403)
        if "{" in self.path:
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += [409, 413, 415]
        elif self.method == "DELETE":
            statuses.append(409)
        return sorted(statuses)

    def _requires_sign_in(self) -> bool:
        permissions = self.view.get_permissions() if hasattr(self.view, "get_permissions") else []
        return bool(permissions) and not all(isinstance(p, AllowAny) for p in permissions)

    def _error_reference(self) -> dict[str, Any]:
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _get_response_bodies(self, direction: openapi.Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        reference = self._error_reference()
        for status in self.error_statuses():
            responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
        for code, response in responses.items():
            # An error declared with a description only (OpenApiResponse(description=…)) has the error's body too.
            if code.isdigit() and int(code) >= 400 and "content" not in response:
                response["content"] = {"application/json": {"schema": reference}}
        return dict(sorted(responses.items()))
