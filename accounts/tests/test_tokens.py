"""Clerk session tokens signed for real (RS256, a test key) and verified as production does."""

import base64
import datetime
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.tokens import TokenError, VerificationUnavailable, clear_jwks_caches, verify_session_token
from conftest import TEST_KEY_ID, public_pem

NOW = datetime.datetime.now(tz=datetime.UTC)


def _reason(token: str) -> str:
    with pytest.raises(TokenError) as failure:
        verify_session_token(token)
    return failure.value.reason


def test_a_valid_token_names_the_user_and_session(make_token):
    session = verify_session_token(make_token("user_2abc", sid="sess_1"))

    assert session.user_id == "user_2abc"
    assert session.session_id == "sess_1"


def test_expired(make_token):
    assert _reason(make_token("user_2abc", exp=NOW - datetime.timedelta(hours=1))) == "Token expired"


def test_five_seconds_of_clock_skew_are_forgiven(make_token):
    now = datetime.datetime.now(tz=datetime.UTC)
    token = make_token("user_2abc", exp=now - datetime.timedelta(seconds=3), nbf=now + datetime.timedelta(seconds=3))

    assert verify_session_token(token).user_id == "user_2abc"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_not_yet_valid(make_token, claim):
    # Ten minutes from the test's own clock: NOW is read at collection, and the suite may run longer than that.
    now = datetime.datetime.now(tz=datetime.UTC)
    token = make_token("user_2abc", **{claim: now + datetime.timedelta(minutes=10)})

    assert _reason(token) == "Token not yet valid"


def test_signed_by_another_key(make_token):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    assert _reason(make_token("user_2abc", key=stranger)) == "Token signature invalid"


def test_hs256_signed_with_the_public_key_is_refused(make_token, clerk_settings):
    # The classic algorithm-confusion attack: an HMAC "signed" with the published public key.
    # (PyJWT itself refuses to make one, so it is assembled by hand.)
    def part(value: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    signing_input = (
        part({"alg": "HS256", "typ": "JWT"})
        + b"."
        + part({"sub": "user_2abc", "sid": "s", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60})
    )
    mac = hmac.new(clerk_settings.CLERK_JWT_KEY.encode(), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()

    assert _reason(forged) == "Token algorithm not accepted"


def test_unsigned_token_is_refused(make_token):
    unsigned = jwt.encode({"sub": "user_2abc", "sid": "s", "iat": 1, "exp": 9999999999}, None, algorithm="none")

    assert _reason(unsigned) == "Token algorithm not accepted"


@pytest.mark.parametrize("claim", ["exp", "iat", "sub", "sid"])
def test_required_claims(make_token, claim):
    assert _reason(make_token("user_2abc", **{claim: None})) == f"Token lacks the {claim} claim"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_malformed(token):
    assert _reason(token) in {"Malformed token", "Token invalid"}


def test_authorized_parties_are_checked_when_set(make_token, clerk_settings):
    clerk_settings.CLERK_AUTHORIZED_PARTIES = ["https://app.example.test"]

    assert verify_session_token(make_token("user_2abc", azp="https://app.example.test")).user_id == "user_2abc"
    assert _reason(make_token("user_2abc", azp="https://evil.example")) == "Token was issued to another origin"
    assert _reason(make_token("user_2abc", azp=None)) == "Token was issued to another origin"


def test_any_origin_when_no_authorized_parties_are_set(make_token):
    assert verify_session_token(make_token("user_2abc", azp="https://anywhere.example")).user_id == "user_2abc"


def test_issuer_is_checked_when_set(make_token, clerk_settings):
    clerk_settings.CLERK_ISSUER = "https://clerk.example.test"

    assert verify_session_token(make_token("user_2abc")).user_id == "user_2abc"
    assert _reason(make_token("user_2abc", iss="https://clerk.attacker.test")) == "Token issuer not accepted"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda pem: pem.replace("\n", "\\n"), id="literal-backslash-n"),
        pytest.param(lambda pem: pem.replace("\n", ""), id="one-line"),
        pytest.param(lambda pem: f'"{pem}"', id="quoted"),
    ],
)
def test_pem_as_environment_variables_mangle_it(make_token, clerk_settings, mangle):
    clerk_settings.CLERK_JWT_KEY = mangle(clerk_settings.CLERK_JWT_KEY)

    assert verify_session_token(make_token("user_2abc")).user_id == "user_2abc"


def test_no_verification_key_configured(make_token, clerk_settings):
    clerk_settings.CLERK_JWT_KEY = ""

    with pytest.raises(VerificationUnavailable):
        verify_session_token(make_token("user_2abc"))


def test_a_key_that_is_not_a_public_key(make_token, clerk_settings):
    clerk_settings.CLERK_JWT_KEY = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----"

    with pytest.raises(VerificationUnavailable):
        verify_session_token(make_token("user_2abc"))


def test_reasons_never_contain_the_token(make_token):
    token = make_token("user_2abc", exp=NOW - datetime.timedelta(hours=1))

    assert token not in _reason(token)


# --- JWKS ---------------------------------------------------------------------------------------------------


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def jwks(httpserver, clerk_settings, clerk_private_key):
    """A local JWKS endpoint standing in for https://<frontend-api>/.well-known/jwks.json."""
    clear_jwks_caches()
    clerk_settings.CLERK_JWT_KEY = ""
    clerk_settings.CLERK_JWKS_URL = httpserver.url_for("/.well-known/jwks.json")
    clerk_settings.CLERK_JWKS_MIN_REFETCH_SECONDS = 0

    def serve(*keys: tuple[rsa.RSAPrivateKey, str]) -> None:
        httpserver.clear()
        httpserver.expect_request("/.well-known/jwks.json", method="GET").respond_with_json(
            {"keys": [_jwk(key, kid) for key, kid in keys]}
        )

    serve((clerk_private_key, TEST_KEY_ID))
    yield serve
    clear_jwks_caches()


def _jwks_requests(httpserver) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == "/.well-known/jwks.json")


def test_jwks_keys_are_fetched_once_and_cached(jwks, httpserver, make_token):
    for _ in range(3):
        assert verify_session_token(make_token("user_2abc")).user_id == "user_2abc"

    assert _jwks_requests(httpserver) == 1


def test_jwks_key_rotation_is_picked_up_on_an_unknown_kid(jwks, httpserver, make_token, clerk_private_key):
    assert verify_session_token(make_token("user_2abc")).user_id == "user_2abc"
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks((rotated, "ins_rotated"))

    token = make_token("user_2abc", key=rotated, headers={"kid": "ins_rotated"})

    assert verify_session_token(token).user_id == "user_2abc"
    assert _jwks_requests(httpserver) == 1  # httpserver.clear() reset the log: exactly one refetch
    # The retired key is gone from the set: its tokens no longer verify.
    assert _reason(make_token("user_2abc")) == "Token signed by an unknown key"


def test_unknown_kids_refetch_at_most_once_per_interval(jwks, httpserver, make_token, clerk_settings):
    clerk_settings.CLERK_JWKS_MIN_REFETCH_SECONDS = 60
    verify_session_token(make_token("user_2abc"))

    for n in range(5):
        assert _reason(make_token("user_2abc", headers={"kid": f"random-{n}"})) == "Token signed by an unknown key"

    assert _jwks_requests(httpserver) == 1


def test_jwks_unreachable_without_cached_keys(clerk_settings, make_token):
    clear_jwks_caches()
    clerk_settings.CLERK_JWT_KEY = ""
    clerk_settings.CLERK_JWKS_URL = "http://127.0.0.1:9/.well-known/jwks.json"

    with pytest.raises(VerificationUnavailable):
        verify_session_token(make_token("user_2abc"))


def test_the_pem_key_wins_over_the_jwks_url(clerk_settings, make_token, clerk_private_key):
    clerk_settings.CLERK_JWT_KEY = public_pem(clerk_private_key)
    clerk_settings.CLERK_JWKS_URL = "http://127.0.0.1:9/never-fetched"

    assert verify_session_token(make_token("user_2abc")).user_id == "user_2abc"
