"""A thin client for VAPI's REST API (https://api.vapi.ai): it knows HTTP and VAPI's JSON, nothing else.

httpx, one request per call: retrying is the caller's decision (the activation task retries with backoff). The
official Python SDK is not used: importing it takes ~20 s and ~300 MB (spec/vapi.md, section 6).

Errors are sorted by what the caller should do:
- ``VapiNotConfigured``: a setting is missing; retrying will not help.
- ``VapiTransientError``: a timeout, a connection error, 429 or 5xx; worth retrying.
- ``VapiRejected``: any other 4xx; VAPI refused the request as it is.
Their messages name the setting or the HTTP status and VAPI's own message, never our key.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from bots.languages import base_language, is_english, transcriber_language
from common.inputs import BOT_UUID_PATTERN, InvalidInput, load_json

logger = logging.getLogger(__name__)

# The original app's voice names -> ElevenLabs voices (provider "11labs"); unknown names get Jennifer's. Each name's
# gender is its voice's (ElevenLabs' voice library, GET /v1/voices: "gender" label): the original mapped "sarah" to
# Adam, a male voice; it now gets Matilda (in ElevenLabs' 2026 premade list). Josh, Arnold and Freya are older premade
# voices, kept so that existing bots keep their voice.
VOICES = {
    "jennifer": ("EXAVITQu4vr4xnSDxMaL", "Sarah", "female"),
    "mark": ("TxGEqnHWrfWFTfGW9XjX", "Josh", "male"),
    "sarah": ("XrExE9yKIg1WjnnlVkGX", "Matilda", "female"),
    "david": ("VR6AewLTigWG4xSOukaG", "Arnold", "male"),
    "emma": ("jsCqWAovK2LkecY7zXl4", "Freya", "female"),
    "alex": ("pqHfZKP75CvOlQylNhV4", "Bill", "male"),
}
VOICE_IDS = {name: voice[0] for name, voice in VOICES.items()}
DEFAULT_VOICE = "jennifer"
# VAPI's ElevenLabs voice (openapi.json, schema ElevenLabsVoice): "model" defaults to eleven_turbo_v2, which ElevenLabs
# documents as English-only; "language" (ISO 639-1) is enforced by eleven_turbo_v2_5 only ("For other models, an
# error will be returned if language code is provided"). A bot in any other language than English gets the
# multilingual model (VAPI_MULTILINGUAL_VOICE_MODEL), with the language when that model takes it.
LANGUAGE_ENFORCING_VOICE_MODELS = frozenset({"eleven_turbo_v2_5"})
# VAPI refuses assistant names longer than this.
ASSISTANT_NAME_MAX = 40
# The server messages our webhook handles (analytics): call status changes and the final report.
SERVER_MESSAGES = ["status-update", "end-of-call-report"]
# What VAPI sends to the browser during a web call (openapi.json, "clientMessages"; its default list is longer and
# includes "metadata", "model-output", "tool-calls", "conversation-update"): only what the widget and the web SDK
# read (the SDK's call-start is VAPI's "listening" message and its call-end Daily's left-meeting, neither of them
# a client message), so that no configuration of the assistant travels to visitors' browsers.
CLIENT_MESSAGES = ["transcript", "speech-update"]
SECRET_HEADER = "x-vapi-secret"  # noqa: S105 (a header name, not a secret)


class VapiError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        self.message = message
        self.status_code = status_code
        super().__init__(message)


class VapiNotConfigured(VapiError):
    pass


class VapiTransientError(VapiError):
    pass


class VapiRejected(VapiError):
    pass


# --- Authenticating VAPI's requests to us ---------------------------------------------------------------------------
#
# Every assistant carries its own secret in ``server.headers`` (webhook and knowledge base): ``<bot uuid>.<HMAC-SHA256
# of the uuid under VAPI_WEBHOOK_SECRET>``. It names the one bot it answers for, so a secret that leaks (from VAPI's
# dashboard, a log, a proxy) can neither forge another bot's call reports nor read another bot's knowledge base; and
# nothing needs storing: the server recomputes it. Rotation: the new key goes to VAPI_WEBHOOK_SECRET, the old one to
# VAPI_WEBHOOK_PREVIOUS_SECRETS (still accepted), ``manage.py sync_assistants`` gives every assistant its new secret,
# then the old key is removed (docs/vapi.md, "Secrets and their rotation"). A key listed in
# VAPI_WEBHOOK_PREVIOUS_SECRETS is also accepted as it is, the one shared secret that assistants made before per-bot
# secrets carry, answering for any bot: that is how an upgrade goes without downtime, and why that list is emptied
# once the assistants are synced.
#
# Why not VAPI's server credential (``server.credentialId``, bearer or HMAC, spec/vapi.md section 3): it is one more
# object per bot to create, update and delete in VAPI, and the HMAC signature covers a body format (``{timestamp}.
# {body}``) that is marked unverified in our notes. The per-bot secret gives the isolation the credential would.

_SECRET_CONTEXT = b"vapi-bot-secret:"
_BOT_UUID = re.compile(BOT_UUID_PATTERN)


def bot_secret(bot_uuid: str, key: str | None = None) -> str:
    """The secret of one bot's assistant, under ``key`` (default: the current VAPI_WEBHOOK_SECRET)."""
    key = settings.VAPI_WEBHOOK_SECRET if key is None else key
    mac = hmac.new(key.encode(), _SECRET_CONTEXT + bot_uuid.encode(), hashlib.sha256).hexdigest()
    return f"{bot_uuid}.{mac}"


@dataclass(frozen=True)
class VapiCaller:
    """Who a request from VAPI was authenticated as: one bot (its uuid), or ``None`` for the shared secret of
    assistants made before per-bot secrets (any bot; only while that secret is in VAPI_WEBHOOK_PREVIOUS_SECRETS)."""

    bot_uuid: str | None


def vapi_caller(request) -> VapiCaller | None:
    """The caller a request's ``x-vapi-secret`` authenticates, compared in constant time; None when it is missing or
    wrong, or when no secret is configured (then nothing from outside is trusted)."""
    keys = [key for key in (settings.VAPI_WEBHOOK_SECRET, *settings.VAPI_WEBHOOK_PREVIOUS_SECRETS) if key]
    provided = request.headers.get(SECRET_HEADER, "")
    if not keys or not provided:
        return None
    bot_uuid = provided.partition(".")[0]
    if _BOT_UUID.fullmatch(bot_uuid):
        for key in keys:
            if hmac.compare_digest(provided.encode(), bot_secret(bot_uuid, key).encode()):
                return VapiCaller(bot_uuid=bot_uuid)
    for key in settings.VAPI_WEBHOOK_PREVIOUS_SECRETS:
        if key and hmac.compare_digest(provided.encode(), key.encode()):
            logger.info("A VAPI request authenticated with a previous shared secret: run manage.py sync_assistants")
            return VapiCaller(bot_uuid=None)
    return None


def voice_id(name: str) -> str:
    return VOICE_IDS.get((name or "").lower(), VOICE_IDS[DEFAULT_VOICE])


def voice_for(name: str, language: str) -> dict[str, Any]:
    """The assistant's ``voice``: the named ElevenLabs voice, with a model that speaks ``language``."""
    voice: dict[str, Any] = {"provider": "11labs", "voiceId": voice_id(name)}
    if not is_english(language):
        model = settings.VAPI_MULTILINGUAL_VOICE_MODEL
        voice["model"] = model
        if model in LANGUAGE_ENFORCING_VOICE_MODELS:
            voice["language"] = base_language(language)
    return voice


def assistant_body(
    *,
    name: str,
    first_message: str,
    system_prompt: str,
    language: str,
    voice: str,
    webhook_url: str,
    knowledge_base_url: str | None,
    secret: str,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The complete assistant for ``POST /assistant`` and ``PATCH /assistant/{id}``.

    Always complete: a PATCH replaces nested objects wholesale, so a partial ``model`` would drop the system
    prompt or the knowledge base (spec/vapi.md, section 2).
    """
    model: dict[str, Any] = {
        "provider": settings.VAPI_MODEL_PROVIDER,
        "model": settings.VAPI_MODEL,
        "messages": [{"role": "system", "content": system_prompt}],
    }
    if knowledge_base_url:
        # Retrieval during calls is answered from our own chunks (documents app), not pasted into the prompt.
        model["knowledgeBase"] = {
            "provider": "custom-knowledge-base",
            "server": {"url": knowledge_base_url, "headers": {SECRET_HEADER: secret}},
        }
    return {
        "name": name[:ASSISTANT_NAME_MAX],
        "firstMessage": first_message,
        "model": model,
        "voice": voice_for(voice, language),
        "transcriber": {
            "provider": settings.VAPI_TRANSCRIBER_PROVIDER,
            "model": settings.VAPI_TRANSCRIBER_MODEL,
            "language": transcriber_language(language),
        },
        "server": {"url": webhook_url, "headers": {SECRET_HEADER: secret}},
        "serverMessages": SERVER_MESSAGES,
        "clientMessages": CLIENT_MESSAGES,
        "metadata": metadata,
    }


class VapiClient:
    def __init__(self, *, api_key: str, base_url: str, timeout: float) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
        )

    @classmethod
    def from_settings(cls) -> VapiClient:
        if not settings.VAPI_PRIVATE_KEY:
            raise VapiNotConfigured("VAPI is not configured: VAPI_PRIVATE_KEY is not set")
        return cls(api_key=settings.VAPI_PRIVATE_KEY, base_url=settings.VAPI_BASE_URL, timeout=settings.VAPI_TIMEOUT)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VapiClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- assistants

    def create_assistant(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", "/assistant", json=body)

    def update_assistant(self, assistant_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._request("PATCH", f"/assistant/{assistant_id}", json=body)

    def delete_assistant(self, assistant_id: str) -> bool:
        """True when deleted now, False when VAPI no longer had it (deleted before: the goal is met)."""
        try:
            self._request("DELETE", f"/assistant/{assistant_id}")
        except VapiRejected as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    def find_assistant(self, *, metadata_key: str, value: str, created_after: datetime.datetime) -> dict | None:
        """An assistant created since ``created_after`` whose metadata has ``metadata_key == value``: after a
        timed-out create, the assistant may exist although we never saw the answer."""
        params = {"createdAtGt": created_after.astimezone(datetime.UTC).isoformat(), "limit": 100}
        assistants = self._request("GET", "/assistant", params=params)
        for assistant in assistants if isinstance(assistants, list) else []:
            if isinstance(assistant, dict) and (assistant.get("metadata") or {}).get(metadata_key) == value:
                return assistant
        return None

    # --- calls

    def list_calls(
        self,
        *,
        created_from: datetime.datetime | None = None,
        created_before: datetime.datetime | None = None,
        limit: int = 100,
        assistant_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """One page of ``GET /call``: a bare JSON array of at most ``limit`` calls created in ``[created_from,
        created_before)`` (``createdAtGe``, ``createdAtLt``). VAPI documents no order and no cursor: the caller
        pages by time windows (``analytics.services.calls_sync``)."""
        params: dict[str, Any] = {"limit": limit}
        if created_from is not None:
            params["createdAtGe"] = _iso(created_from)
        if created_before is not None:
            params["createdAtLt"] = _iso(created_before)
        if assistant_id:
            params["assistantId"] = assistant_id
        calls = self._request("GET", "/call", params=params)
        return [call for call in calls if isinstance(call, dict)] if isinstance(calls, list) else []

    # --- plumbing

    def _request(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise VapiTransientError(f"VAPI did not answer {method} {path} in time") from None
        except httpx.TransportError as exc:
            raise VapiTransientError(f"Could not reach VAPI ({type(exc).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise VapiTransientError(
                f"VAPI answered {response.status_code} to {method} {path}", status_code=response.status_code
            )
        if response.status_code >= 400:
            raise VapiRejected(
                f"VAPI refused {method} {path} ({response.status_code}): {_vapi_message(response)}",
                status_code=response.status_code,
            )
        if not response.content:
            return None
        try:
            # VAPI's answers are read by the rules for machine input (bounded depth, no NUL, finite numbers).
            return load_json(response.content, from_machine=True)
        except InvalidInput:
            raise VapiTransientError(f"VAPI answered {method} {path} with something that is not JSON") from None


def _iso(moment: datetime.datetime) -> str:
    """VAPI's date-time query parameters: UTC, milliseconds, ``Z``."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _vapi_message(response: httpx.Response) -> str:
    """VAPI's error message (``{"message": …}``, sometimes a list), trimmed for storing and showing to the bot's
    owner, with any secret of ours it may echo (a key in a validation message, say) masked."""
    from common.redaction import redact  # the project's one list of secrets (not an app: no cycle)

    try:
        body = response.json()
    except ValueError:
        return redact(response.reason_phrase or "no message")
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(item) for item in message)
    if not isinstance(body, dict):
        return "no message"
    return redact(str(message or body.get("error") or response.reason_phrase)[:500])
