import json

import pytest

from bots.embed import embed_code
from bots.models import Bot

pytestmark = pytest.mark.django_db

CONFIG = {"botName": "A", "welcomeMessage": "Hi", "systemPrompt": "P", "language": "pt-BR", "position": "left"}


def _created_embed(client, **headers) -> str:
    client.post("/api/bots/create", {"config": json.dumps(CONFIG)}, format="multipart", headers=headers)
    return Bot.objects.get().embed_code


def test_the_original_script_tag():
    assert embed_code(
        uuid="0b6f7c2a-1111-4222-8333-944445555666",
        language="en",
        position="RIGHT",
        theme="DARK",
        base_url="https://bots.example.com",
    ) == (
        '<script defer src="https://bots.example.com/js/external-chatbot-voice.js" '
        'data-chatbot-uuid="0b6f7c2a-1111-4222-8333-944445555666" data-language="en" data-position="right" '
        'data-theme="dark"></script>'
    )


def test_values_are_escaped():
    code = embed_code(uuid='x"><script>', language="en", position="LEFT", theme="LIGHT", base_url="https://a.example")

    assert '"><script>' not in code


def test_built_from_public_base_url_when_set(client_for, user, settings):
    settings.PUBLIC_BASE_URL = "https://voice.example.com"

    assert _created_embed(client_for(user)).startswith('<script defer src="https://voice.example.com/js/')


def test_built_from_the_request_host_when_unset(client_for, user, settings):
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["app.example.com"]

    code = _created_embed(client_for(user), Host="app.example.com")

    assert code.startswith('<script defer src="http://app.example.com/js/external-chatbot-voice.js"')
    assert 'data-language="pt-BR" data-position="left" data-theme="light"' in code


def test_forwarded_headers_are_ignored_without_a_configured_proxy(client_for, user, settings):
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["app.example.com", "evil.example"]

    code = _created_embed(
        client_for(user), Host="app.example.com", X_Forwarded_Host="evil.example", X_Forwarded_Proto="https"
    )

    assert code.startswith('<script defer src="http://app.example.com/js/')


def test_forwarded_headers_count_behind_a_configured_proxy(client_for, user, settings):
    settings.PUBLIC_BASE_URL = ""
    settings.ALLOWED_HOSTS = ["app.example.com", "internal:8000"]
    settings.USE_X_FORWARDED_HOST = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    code = _created_embed(
        client_for(user), Host="internal:8000", X_Forwarded_Host="app.example.com", X_Forwarded_Proto="https"
    )

    assert code.startswith('<script defer src="https://app.example.com/js/')
