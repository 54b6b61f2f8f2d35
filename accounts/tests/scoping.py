"""The permission suite every endpoint over user data gets (NetBox's API test cases, written once):

anonymous -> 401, another signed-in user -> 404 (never 403: existence is not leaked), owner -> success.
"""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient


def assert_owner_only(
    *,
    method: str,
    url: str,
    owner,
    stranger,
    client_for,
    data: Any = None,
    format: str = "json",
    success: tuple[int, ...] = (200,),
):
    """Call ``url`` as nobody, as ``stranger`` and as ``owner`` (last, so a DELETE still finds its row);
    return the owner's response."""
    anonymous = getattr(APIClient(), method)(url, data, format=format)
    assert anonymous.status_code == 401, anonymous.content
    assert anonymous.json()["success"] is False
    assert anonymous.json()["error"] == "Unauthorized"

    foreign = getattr(client_for(stranger), method)(url, data, format=format)
    assert foreign.status_code == 404, foreign.content
    assert foreign.json()["success"] is False

    response = getattr(client_for(owner), method)(url, data, format=format)
    assert response.status_code in success, response.content
    return response
