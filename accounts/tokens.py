"""Verification of Clerk session tokens with PyJWT (spec/clerk.md, "Doing it without the SDK").

RS256 only, against ``CLERK_JWT_KEY`` (PEM, networkless) or the JWKS at ``CLERK_JWKS_URL`` (keys cached; an
unknown ``kid`` refetches the set, at most every ``CLERK_JWKS_MIN_REFETCH_SECONDS``). ``exp``, ``iat``, ``sub``
and ``sid`` are required, with 5 s of leeway; ``azp`` and ``iss`` are checked when configured. The Clerk SDK is
not used: it accepts tokens without ``exp``, only strips a capital ``Bearer`` and retries for up to an hour.

Failure reasons are short, fixed sentences: they never contain the token or a key.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings

from accounts.models import USER_ID

logger = logging.getLogger(__name__)

LEEWAY_SECONDS = 5
REQUIRED_CLAIMS = ("exp", "iat", "sub", "sid")
DEV_KEY_ID = "dev"


class TokenError(Exception):
    """The token is not acceptable; ``reason`` is safe to show the caller."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class VerificationUnavailable(Exception):
    """We cannot verify any token: no key configured, a broken key, or the JWKS cannot be fetched."""


@dataclass(frozen=True)
class SessionClaims:
    user_id: str
    session_id: str
    claims: dict[str, Any]


def verify_session_token(token: str) -> SessionClaims:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("Malformed token") from None
    if header.get("alg") != "RS256":
        raise TokenError("Token algorithm not accepted")
    key = verification_key(header.get("kid"))
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            leeway=LEEWAY_SECONDS,
            issuer=settings.CLERK_ISSUER or None,
            options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("Token expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("Token not yet valid") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenError(f"Token lacks the {exc.claim} claim") from None
    except jwt.InvalidIssuerError:
        raise TokenError("Token issuer not accepted") from None
    except jwt.InvalidSignatureError:
        raise TokenError("Token signature invalid") from None
    except jwt.PyJWTError:
        raise TokenError("Token invalid") from None

    parties = settings.CLERK_AUTHORIZED_PARTIES
    # Clerk's docs would let a token without azp through; like Clerk's own SDK we do not, once origins are set.
    if parties and claims.get("azp") not in parties:
        raise TokenError("Token was issued to another origin")
    user_id, session_id = claims.get("sub"), claims.get("sid")
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id) or not isinstance(session_id, str):
        raise TokenError("Token invalid")
    return SessionClaims(user_id=user_id, session_id=session_id, claims=claims)


def verification_key(kid: str | None) -> RSAPublicKey | jwt.PyJWK:
    pem = settings.CLERK_JWT_KEY or _development_key()
    if pem:
        return load_public_key(pem)
    if settings.CLERK_JWKS_URL:
        return _jwks_cache(settings.CLERK_JWKS_URL).key_for(kid)
    raise VerificationUnavailable("Neither CLERK_JWT_KEY nor CLERK_JWKS_URL is set")


def _development_key() -> str:
    """The key pair of `manage.py dev_token`, only while DEBUG is on (never in production)."""
    if not settings.DEBUG:
        return ""
    path = Path(settings.CLERK_DEV_KEY_DIR) / "public.pem"
    return path.read_text() if path.is_file() else ""


_PEM = re.compile(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.DOTALL)


def normalise_pem(value: str) -> str:
    """A PEM as environment variables mangle it: literal "\\n" escapes, or every newline removed."""
    value = value.strip().strip('"').replace("\\n", "\n")
    match = _PEM.search(value)
    if not match:
        return value
    label, body = match.group(1), re.sub(r"\s+", "", match.group(2))
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


@lru_cache(maxsize=8)
def load_public_key(pem: str) -> RSAPublicKey:
    try:
        key = load_pem_public_key(normalise_pem(pem).encode())
    except ValueError:
        raise VerificationUnavailable("CLERK_JWT_KEY is not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise VerificationUnavailable("CLERK_JWT_KEY is not an RSA public key")
    return key


class JwksCache:
    """The signing keys of one JWKS URL, kept for ``CLERK_JWKS_CACHE_SECONDS``. A cache of public data: any
    process can rebuild it, so it is not state in the sense of DESIGN.md's "Scale-out"."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        with self._lock:
            now = time.monotonic()
            if not self._keys or now - self._fetched_at > settings.CLERK_JWKS_CACHE_SECONDS:
                self._fetch(now)
            if kid not in self._keys and now - self._fetched_at >= settings.CLERK_JWKS_MIN_REFETCH_SECONDS:
                self._fetch(now)  # the issuer may have rotated its key since we last looked
            if kid in self._keys:
                return self._keys[kid]
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
        raise TokenError("Token signed by an unknown key")

    def _fetch(self, now: float) -> None:
        try:
            response = httpx.get(self.url, timeout=settings.CLERK_API_TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as exc:
            logger.warning("Could not fetch the Clerk JWKS (%s)", type(exc).__name__)
            if self._keys:
                return  # keep verifying with the keys we have
            raise VerificationUnavailable("The Clerk JWKS could not be fetched") from None
        self._keys = {key.key_id: key for key in key_set.keys if key.key_type == "RSA"}
        self._fetched_at = now


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


def _jwks_cache(url: str) -> JwksCache:
    with _caches_lock:
        if url not in _caches:
            _caches[url] = JwksCache(url)
        return _caches[url]


def clear_jwks_caches() -> None:
    with _caches_lock:
        _caches.clear()
