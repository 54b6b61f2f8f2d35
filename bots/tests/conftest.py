import pytest

PRIVATE_KEY = "sk_test_private_0123456789"
WEBHOOK_SECRET = "vapi-webhook-secret-0123456789"


def configure_vapi(settings, httpserver):
    """VAPI configured as in production, its API played by ``httpserver`` (pytest-httpserver). For the fixture
    below, and for tests outside this folder (a conftest's fixtures are its folder's)."""
    settings.VAPI_PRIVATE_KEY = PRIVATE_KEY
    settings.VAPI_BASE_URL = httpserver.url_for("").rstrip("/")
    settings.VAPI_TIMEOUT = 2
    settings.PUBLIC_BASE_URL = "https://bots.example.com"
    settings.VAPI_WEBHOOK_SECRET = WEBHOOK_SECRET
    return httpserver


@pytest.fixture
def vapi(settings, httpserver):
    """VAPI configured as in production, its API played by a local HTTP server (pytest-httpserver)."""
    settings.BOT_ACTIVATION_MAX_RETRIES = 2
    return configure_vapi(settings, httpserver)


def requests_to(httpserver, method: str, path: str) -> list:
    return [request for request, _ in httpserver.log if request.method == method and request.path == path]
