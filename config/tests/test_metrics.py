"""GET /metrics: off unless a token or an allow-list is configured; Prometheus text with bounded labels."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from prometheus_client.parser import text_string_to_metric_families

from config.monitoring.access import validate_metrics_settings
from config.monitoring.metrics import REGISTRY, method_label, route_template
from config.tests.processes import ROOT, clean_env

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def token_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []
    return settings


def scrape(client, **headers):
    return client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- Access ---------------------------------------------------------------------------------------------------


def test_disabled_without_token_or_allow_list(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything-at-all-0123"}).status_code == 404


def test_a_token_is_required(client, token_settings):
    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    other_scheme = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})

    for response in (missing, wrong, other_scheme):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert response.json() == {"success": False, "error": "Unauthorized"}
        assert "no-store" in response["Cache-Control"]


def test_the_right_token_reads_the_metrics(client, token_settings):
    response = scrape(client)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"]
    assert "# TYPE voicebot_http_requests_total counter" in response.content.decode()


def test_openmetrics_when_the_scraper_asks_for_it(client, token_settings):
    response = scrape(client, Accept="application/openmetrics-text; version=1.0.0")

    assert response["Content-Type"].startswith("application/openmetrics-text")
    assert response.content.decode().endswith("# EOF\n")


def test_an_allowed_address_needs_no_token(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8", "127.0.0.1"]

    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    refused = client.get("/metrics", REMOTE_ADDR="192.0.2.7")
    assert refused.status_code == 403
    assert refused.json() == {"success": False, "error": "Forbidden"}


def test_forwarded_addresses_count_only_behind_a_proxy(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    forged = {"REMOTE_ADDR": "192.0.2.7", "HTTP_X_FORWARDED_FOR": "10.1.2.3"}

    settings.TRUSTED_PROXY_COUNT = 0
    assert client.get("/metrics", **forged).status_code == 403
    settings.TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", **forged).status_code == 200


def test_either_token_or_address_is_enough_when_both_are_configured(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.9.9.9").status_code == 200
    assert scrape(client, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 401


def test_only_get_and_head(client, token_settings):
    response = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("token", "allowed", "message"),
    [
        ("short-token", [], "METRICS_TOKEN must be at least 16 characters"),
        ("", ["10.0.0.0/8", "not-an-address"], "METRICS_ALLOWED_IPS: 'not-an-address' is neither"),
    ],
)
def test_bad_settings_are_refused(token, allowed, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        validate_metrics_settings(token=token, allowed_ips=allowed)


def test_the_route_is_exempt_from_the_https_redirect(settings):
    assert r"^metrics$" in settings.SECURE_REDIRECT_EXEMPT


# --- Labels ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/health", "/api/health"),
        ("api/bots/status/<str:uuid>", "/api/bots/status/{uuid}"),
        ("api/bots/<str:uuid>/files/<path:filename>", "/api/bots/{uuid}/files/{filename}"),
        ("^api/bots/(?P<uuid>[^/.]+)$", "/api/bots/{uuid}"),
        ("^api/bots/(?P<uuid>[^/.]+)/reactivate$", "/api/bots/{uuid}/reactivate"),
        ("^api/x/(?P<id>(?:a|b)+)/(?P<n>\\d{2})\\.json$", "/api/x/{id}/{n}.json"),
        ("^api/", "/api/*"),
        ("admin/accounts/user/<path:object_id>/change/", "/admin/accounts/user/{object_id}/change/"),
    ],
)
def test_routes_become_templates(route, template):
    assert route_template(route) == template


@pytest.mark.parametrize(("method", "label"), [("GET", "GET"), ("PATCH", "PATCH"), ("PROPFIND", "other")])
def test_unknown_methods_share_one_label(method, label):
    assert method_label(method) == label


# --- Content --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_route_template_never_by_path(client, token_settings):
    bot_uuid = str(uuid.uuid4())
    labels = {"method": "GET", "route": "/api/bots/status/{uuid}", "status": "404"}
    before = value("voicebot_http_requests_total", **labels)

    assert client.get(f"/api/bots/status/{bot_uuid}").status_code == 404
    text = scrape(client).content.decode()

    assert samples(text)[("voicebot_http_requests_total", frozenset(labels.items()))] == before + 1
    assert bot_uuid not in text
    assert 'route="/api/bots/status/{uuid}"' in text


@pytest.mark.django_db
def test_unmatched_paths_share_one_label(client, token_settings):
    random_path = f"/no-such-page-{uuid.uuid4().hex}"
    before = value("voicebot_http_requests_total", method="GET", route="<unmatched>", status="404")

    client.get(random_path)

    assert value("voicebot_http_requests_total", method="GET", route="<unmatched>", status="404") == before + 1
    assert random_path not in scrape(client).content.decode()


@pytest.mark.django_db
def test_latency_and_database_queries_are_observed(client, token_settings):
    labels = {"method": "GET", "route": "/api/health"}
    count_before = value("voicebot_http_request_duration_seconds_count", **labels)
    queries_before = value("voicebot_http_request_db_queries_sum", **labels)

    client.get("/api/health")

    assert value("voicebot_http_request_duration_seconds_count", **labels) == count_before + 1
    assert value("voicebot_http_request_duration_seconds_sum", **labels) > 0
    assert value("voicebot_http_request_db_queries_sum", **labels) == queries_before + 1  # SELECT 1


@pytest.mark.django_db
def test_server_errors_are_counted(client, token_settings, monkeypatch):
    from accounts.views import MeView

    def boom(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(MeView, "get", boom)
    monkeypatch.setattr(MeView, "permission_classes", [])
    monkeypatch.setattr(MeView, "authentication_classes", [])
    before = value("voicebot_http_server_errors_total", method="GET", route="/api/me")
    requests_before = value("voicebot_http_requests_total", method="GET", route="/api/me", status="500")

    assert client.get("/api/me").status_code == 500

    assert value("voicebot_http_server_errors_total", method="GET", route="/api/me") == before + 1
    assert value("voicebot_http_requests_total", method="GET", route="/api/me", status="500") == requests_before + 1


# --- Several processes ----------------------------------------------------------------------------------------

RECORD = """
import django
django.setup()
from config.monitoring.metrics import record_request
for _ in range({count}):
    record_request("GET", "/api/health", 200, 0.01, 1)
"""
SCRAPE = """
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings
with override_settings(METRICS_TOKEN="{token}", ALLOWED_HOSTS=["testserver"]):
    print(Client().get("/metrics", headers={{"Authorization": "Bearer {token}"}}).content.decode())
"""


def _python(code: str, **variables: str) -> str:
    env = clean_env(DJANGO_SETTINGS_MODULE="config.test_settings", **variables)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_a_scrape_adds_up_every_process_with_a_multiprocess_directory(tmp_path):
    directory = str(tmp_path / "prometheus")  # created by the first process that records

    _python(RECORD.format(count=3), PROMETHEUS_MULTIPROC_DIR=directory)
    _python(RECORD.format(count=4), PROMETHEUS_MULTIPROC_DIR=directory)
    text = _python(SCRAPE.format(token=TOKEN), PROMETHEUS_MULTIPROC_DIR=directory)

    found = samples(text)
    labels = frozenset({"method": "GET", "route": "/api/health", "status": "200"}.items())
    assert found[("voicebot_http_requests_total", labels)] == 7
    histogram = frozenset({"method": "GET", "route": "/api/health"}.items())
    assert found[("voicebot_http_request_db_queries_sum", histogram)] == 7


@pytest.mark.slow
def test_without_the_directory_a_process_shows_only_its_own_values():
    text = _python(RECORD.format(count=2) + SCRAPE.format(token=TOKEN).replace("import django\ndjango.setup()", ""))

    labels = frozenset({"method": "GET", "route": "/api/health", "status": "200"}.items())
    assert samples(text)[("voicebot_http_requests_total", labels)] == 2
    assert "process_cpu_seconds_total" in text  # the single-process registry's own collectors
