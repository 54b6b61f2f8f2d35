"""Try the API without a Clerk account (development only).

    python manage.py dev_token ada@example.com            # prints a session token for that user
    python manage.py dev_token ada@example.com --password # also asks for a password, for the pages' login form
    curl -H "Authorization: Bearer $(python manage.py dev_token ada@example.com)" localhost:8000/api/me

The first run makes an RSA key pair in CLERK_DEV_KEY_DIR (var/dev-clerk/, git-ignored). While DEBUG is on and
neither CLERK_JWT_KEY nor CLERK_JWKS_URL is set, the server verifies tokens with that key; it never does with
DEBUG off, and this command refuses to run then.
"""

from __future__ import annotations

import datetime
import getpass
import os
import secrets
import sys
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts.models import User
from accounts.tokens import DEV_KEY_ID
from common.ids import cuid


def development_private_key(directory: Path) -> rsa.RSAPrivateKey:
    """The development key pair, made on first use (private key readable by its owner only)."""
    private_path, public_path = directory / "private.pem", directory / "public.pem"
    if private_path.is_file():
        return serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key


class Command(BaseCommand):
    help = "Print a Clerk-style session token for a local user (DEBUG only), to try the API without Clerk."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user", help="an email address (the user is created if new) or an existing user id")
        parser.add_argument("--minutes", type=int, default=60, help="lifetime of the token (default 60)")
        parser.add_argument(
            "--password",
            action="store_true",
            help="also set the user's password (asked twice; read from stdin when it is not a terminal), to sign "
            "in to the dashboard with the login form that pages offer without Clerk",
        )

    def handle(self, *args, user: str, minutes: int, password: bool, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("dev_token only runs with DEBUG on: in production, tokens come from Clerk.")
        if settings.CLERK_JWT_KEY or settings.CLERK_JWKS_URL:
            self.stderr.write(
                "Note: CLERK_JWT_KEY or CLERK_JWKS_URL is set, so the server verifies tokens with that key and "
                "will refuse this one. Unset them to use the development key.",
                style_func=self.style.WARNING,
            )
        account = self._user(user)
        if password:
            self._set_password(account)
        key = development_private_key(Path(settings.CLERK_DEV_KEY_DIR))
        now = datetime.datetime.now(tz=datetime.UTC)
        claims = {
            "sub": account.pk,
            "sid": f"sess_dev_{secrets.token_hex(8)}",
            "iat": now,
            "nbf": now,
            "exp": now + datetime.timedelta(minutes=minutes),
            "iss": settings.CLERK_ISSUER or "http://localhost:8000/dev-clerk",
        }
        if settings.CLERK_AUTHORIZED_PARTIES:
            claims["azp"] = settings.CLERK_AUTHORIZED_PARTIES[0]
        token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": DEV_KEY_ID})
        self._say(f"Token for {account.email} ({account.pk}), valid {minutes} minutes:")
        self.stdout.write(token)

    def _say(self, message: str) -> None:
        """A success line. On a terminal, in stdout with the success style; when stdout is read by a program
        (``TOKEN=$(manage.py dev_token …)``) it must hold the token alone, so the line goes to stderr, in the same
        style: Django's default style for stderr is the error style, and nothing here is an error."""
        stream = self.stdout if self.stdout.isatty() else self.stderr
        stream.write(message, style_func=self.style.SUCCESS)

    def _user(self, identifier: str) -> User:
        existing = User.objects.filter(pk=identifier).first() or User.objects.filter(email=identifier).first()
        if existing is not None:
            return existing
        try:
            validate_email(identifier)
        except ValidationError:
            raise CommandError(f"No user {identifier!r}, and it is not an email address to create one with.") from None
        return User.objects.create_user(email=identifier, id=f"user_dev_{cuid()}")

    def _set_password(self, account: User) -> None:
        if sys.stdin.isatty():
            first = getpass.getpass(f"Password for {account.email}: ")
            if first != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        else:
            first = sys.stdin.readline().rstrip("\n")
        try:
            validate_password(first, account)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        account.set_password(first)
        account.save(update_fields=["password"])
        self._say(f"Password set: sign in at /sign-in as {account.email}.")
