"""A thin client for the one Clerk Backend API call we make: a user's profile, on their first request.

httpx with a short timeout and at most two retries (429, 5xx, connection errors): the caller is a live request,
never the SDK's default of retrying for an hour. A failure returns None; the webhook fills the profile later.
"""

from __future__ import annotations

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from common.inputs import pg_text

logger = logging.getLogger(__name__)

RETRIES = 2
BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class ClerkProfile:
    """What we keep of a Clerk user. ``updated_at`` orders webhook deliveries that arrive out of order."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    image_url: str | None = None
    updated_at: datetime.datetime | None = None


def _from_millis(value: Any) -> datetime.datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.UTC)
        except (OverflowError, OSError, ValueError):  # beyond the years a datetime can hold
            return None
    return None


def _text(value: Any, limit: int) -> str | None:
    return (pg_text(value).strip()[:limit] or None) if isinstance(value, str) else None


def _email(value: Any) -> str | None:
    email = _text(value, 254)
    try:
        validate_email(email)
    except ValidationError:
        return None  # not an address: the user keeps the one they have (or their placeholder)
    return email


def profile_from_user_json(data: dict[str, Any]) -> ClerkProfile:
    """A Clerk user object (Backend API, or a webhook's ``data``) as a profile. Lenient: every field is optional,
    and Clerk adds fields over time; the primary email is the one ``primary_email_address_id`` names."""
    if not isinstance(data, dict):
        raise ValueError("a Clerk user is a JSON object")
    primary_id = data.get("primary_email_address_id")
    email = None
    addresses = data.get("email_addresses")
    for address in addresses if isinstance(addresses, list) else []:
        if isinstance(address, dict) and address.get("id") == primary_id:
            email = _email(address.get("email_address"))
    image = data.get("image_url") or data.get("profile_image_url")
    return ClerkProfile(
        email=email,
        first_name=_text(data.get("first_name"), 150),
        last_name=_text(data.get("last_name"), 150),
        image_url=image if isinstance(image, str) and image.startswith("https://") and len(image) <= 2048 else None,
        updated_at=_from_millis(data.get("updated_at")),
    )


def fetch_user_profile(user_id: str) -> ClerkProfile | None:
    """``GET /users/{id}``; None when Clerk is not configured, does not know the user, or does not answer."""
    secret = settings.CLERK_SECRET_KEY
    if not secret:
        return None
    url = f"{settings.CLERK_API_URL.rstrip('/')}/users/{quote(user_id, safe='')}"
    headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}
    for attempt in range(RETRIES + 1):
        if attempt:
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            response = httpx.get(url, headers=headers, timeout=settings.CLERK_API_TIMEOUT)
        except httpx.TransportError as exc:
            logger.warning("Clerk API: %s fetching user %s (attempt %d)", type(exc).__name__, user_id, attempt + 1)
            continue
        if response.status_code == 200:
            try:
                return profile_from_user_json(response.json())
            except ValueError:
                logger.warning("Clerk API: user %s: the answer is not JSON", user_id)
                return None
        if response.status_code == 429 or response.status_code >= 500:
            logger.warning("Clerk API: %d for user %s (attempt %d)", response.status_code, user_id, attempt + 1)
            continue
        logger.warning("Clerk API: %d for user %s; not retried", response.status_code, user_id)
        return None
    return None
