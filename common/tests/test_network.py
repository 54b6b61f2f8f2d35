"""The one rule that names a request's client (common.network.client_ip)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from common.network import client_ip

PROXY_CHAINS = [
    # (trusted proxies, X-Forwarded-For as it reaches us, the client)
    (0, "203.0.113.9, 198.51.100.7", "10.0.0.2"),  # no proxy: the header is the client's writing
    (1, "198.51.100.7", "198.51.100.7"),
    (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),
    (2, "198.51.100.7, 10.0.0.5", "198.51.100.7"),  # a CDN appended the client, the load balancer the CDN
    (2, "203.0.113.9, 198.51.100.7, 10.0.0.5", "198.51.100.7"),
    (3, "198.51.100.7, 10.0.0.4, 10.0.0.5", "198.51.100.7"),
    (2, "10.0.0.5", "10.0.0.5"),  # fewer entries than proxies: the leftmost, as DRF's NUM_PROXIES reads it
    (2, "", "10.0.0.2"),  # no header: REMOTE_ADDR
    (1, "2001:db8::1", "2001:db8::1"),
]


def request_from(forwarded: str):
    meta = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(("proxies", "forwarded", "client"), PROXY_CHAINS)
def test_the_client_is_the_nth_address_from_the_right(settings, proxies, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = proxies

    assert client_ip(request_from(forwarded)) == client


@pytest.mark.parametrize("proxies", [1, 2, 3])
def test_what_a_client_writes_in_x_forwarded_for_never_changes_its_address(settings, proxies):
    """A client that sends X-Forwarded-For of its own (a new value each time, to get a new allowance) is still
    the address our outermost proxy saw."""
    settings.TRUSTED_PROXY_COUNT = proxies
    appended_by_our_proxies = ["198.51.100.7"] + [f"10.0.0.{n}" for n in range(1, proxies)]

    seen = {
        client_ip(request_from(", ".join([*forged, *appended_by_our_proxies])))
        for forged in ([], ["203.0.113.1"], ["203.0.113.2", "203.0.113.3"], ["not an address"], ["::1"] * 5)
    }

    assert seen == {"198.51.100.7"}


@pytest.mark.parametrize(("proxies", "forwarded", "client"), PROXY_CHAINS)
def test_the_same_rule_as_drfs_num_proxies(settings, proxies, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    request = request_from(forwarded)

    assert SimpleRateThrottle.get_ident(None, Request(request)) == client_ip(request) == client


@pytest.mark.parametrize("forwarded", ["unknown", "198.51.100.7:4431", ""])
def test_an_address_that_is_not_one_is_none(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    request = request_from(forwarded)
    if not forwarded:
        request.META["REMOTE_ADDR"] = ""  # a unix socket

    assert client_ip(request) is None
