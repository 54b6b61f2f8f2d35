import io
import os
import stat

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_keys(settings, tmp_path):
    settings.DEBUG = True
    settings.CLERK_DEV_KEY_DIR = tmp_path / "dev-clerk"
    settings.CLERK_JWT_KEY = ""  # no real key: the server falls back to the development key
    return settings.CLERK_DEV_KEY_DIR


def test_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="only runs with DEBUG on"):
        call_command("dev_token", "ada@example.com")
    assert not User.objects.exists()


def test_prints_a_token_that_the_api_accepts(dev_keys, capsys, api_client):
    call_command("dev_token", "ada@example.com")
    token = capsys.readouterr().out.strip()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get("/api/me")

    assert response.status_code == 200
    assert response.json()["user"]["email"] == "ada@example.com"
    assert response.json()["user"]["id"].startswith("user_dev_")


def test_the_private_key_is_kept_private_and_reused(dev_keys, capsys):
    call_command("dev_token", "ada@example.com")
    first_key = (dev_keys / "private.pem").read_bytes()
    call_command("dev_token", "ada@example.com")

    assert stat.S_IMODE(os.stat(dev_keys / "private.pem").st_mode) == 0o600
    assert (dev_keys / "private.pem").read_bytes() == first_key
    assert User.objects.count() == 1


def test_the_development_key_is_never_used_with_debug_off(dev_keys, capsys, api_client, settings):
    call_command("dev_token", "ada@example.com")
    token = capsys.readouterr().out.strip()
    settings.DEBUG = False

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api_client.get("/api/me").status_code == 503  # no verification key configured at all


def test_an_existing_user_by_id(dev_keys, capsys, user, api_client):
    call_command("dev_token", user.pk)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {capsys.readouterr().out.strip()}")

    assert api_client.get("/api/me").json()["user"]["id"] == user.pk


def test_an_unknown_id_that_is_no_email(dev_keys):
    with pytest.raises(CommandError, match="not an email address"):
        call_command("dev_token", "user_nobody")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


GREEN, RED = "\x1b[32;1m", "\x1b[31;1m"  # Django's SUCCESS and ERROR styles


def test_on_a_terminal_its_messages_are_successes_on_stdout(dev_keys):
    out, err = Terminal(), Terminal()

    call_command("dev_token", "ada@example.com", stdout=out, stderr=err, force_color=True)

    assert f"{GREEN}Token for ada@example.com" in out.getvalue()
    assert err.getvalue() == ""


def test_read_by_a_program_its_stdout_is_the_token_alone_and_nothing_is_red(dev_keys):
    out, err = io.StringIO(), Terminal()

    call_command("dev_token", "ada@example.com", stdout=out, stderr=err, force_color=True)

    assert out.getvalue().count("\n") == 1
    assert out.getvalue().startswith("ey")
    assert f"{GREEN}Token for ada@example.com" in err.getvalue()
    assert RED not in err.getvalue()
