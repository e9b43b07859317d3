"""The NHS login and CIS2 stand-in (tests/oidc_provider.py) behaves as an OpenID Connect provider should.

Each test drives it as a relying party would: real HTTP with requests, PKCE, a private_key_jwt assertion
signed with joserfc, and the id token checked against the provider's published keys.
"""

import secrets
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError
from joserfc.jwk import KeySet, RSAKey
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from tests.oidc_provider import ASSERTION_TYPE, s256

REDIRECT_URI = "http://testserver/accounts/nhs-login/callback"


def assertion(settings: dict, audience: str, *, jti: str = "", key: RSAKey | None = None, alg: str = "RS512") -> str:
    """A private_key_jwt client assertion, as the app makes one."""
    now = int(time.time())
    key = key or RSAKey.import_key(settings["private_key"])
    claims = {
        "iss": settings["client_id"],
        "sub": settings["client_id"],
        "aud": audience,
        "jti": jti or str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    return jwt.encode({"alg": alg, "kid": settings["key_id"]}, claims, key, algorithms=[alg])


class RelyingParty:
    """The app's side of the code flow, against the stand-in."""

    def __init__(self, provider, client_id: str, *, alg: str = "RS512"):
        self.settings = provider.client(client_id, alg=alg)
        self.config = requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=5).json()
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.verifier = secrets.token_urlsafe(48)

    def authorize(self, **overrides) -> requests.Response:
        query = {
            "response_type": "code",
            "client_id": self.settings["client_id"],
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile email nhs_number",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }
        query = {name: value for name, value in query.items() if value is not None}
        return requests.get(self.config["authorization_endpoint"], params=query, allow_redirects=False, timeout=5)

    def code(self) -> str:
        answer = self.authorize()
        assert answer.status_code == 302, answer.text
        returned = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert returned["state"] == [self.state]
        return returned["code"][0]

    def exchange(self, code: str, *, client_assertion: str = "", verifier: str = "") -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier or self.verifier,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion or assertion(self.settings, self.config["token_endpoint"]),
        }
        return requests.post(self.config["token_endpoint"], data=form, timeout=5)

    def id_token(self, answer: requests.Response):
        """The id token in a token answer, its signature checked against the provider's published keys."""
        assert answer.status_code == 200, answer.text
        keys = KeySet.import_key_set(requests.get(self.config["jwks_uri"], timeout=5).json())
        return jwt.decode(answer.json()["id_token"], keys, algorithms=["RS512", "RS256"])


def refusal(answer: requests.Response) -> str:
    assert answer.status_code == 400, answer.text
    return answer.json()["error"]


def test_it_publishes_its_discovery_document_and_keys(oidc_provider):
    config = requests.get(f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=5).json()

    assert config["issuer"] == oidc_provider.issuer
    assert config["token_endpoint"] == f"{oidc_provider.issuer}/token"
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert "nationalrbacaccess" in config["scopes_supported"]
    keys = requests.get(config["jwks_uri"], timeout=5).json()["keys"]
    assert [key["kty"] for key in keys] == ["RSA"]
    assert keys[0]["kid"] and "d" not in keys[0]


def test_it_signs_a_person_in_with_the_queued_claims(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    sub = oidc_provider.next_sign_in(
        "phb-patients",
        id_token={"nhs_number": "9000000009", "vot": "P9.Cp.Cd"},
        userinfo={"nhs_number": "9000000009", "email": "jane.smith@example.com"},
    )

    answer = app.exchange(app.code())
    token = app.id_token(answer)

    assert token.header["alg"] == "RS512"
    JWTClaimsRegistry(
        iss={"essential": True, "value": oidc_provider.issuer},
        aud={"essential": True, "value": "phb-patients"},
        sub={"essential": True, "value": sub},
        nonce={"essential": True, "value": app.nonce},
    ).validate(token.claims)
    assert token.claims["nhs_number"] == "9000000009" and token.claims["vot"] == "P9.Cp.Cd"
    assert token.claims["exp"] - token.claims["iat"] == 300
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    userinfo = requests.get(app.config["userinfo_endpoint"], headers=bearer, timeout=5)
    assert userinfo.json() == {"sub": sub, "nhs_number": "9000000009", "email": "jane.smith@example.com"}
    wrong = requests.get(app.config["userinfo_endpoint"], headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert oidc_provider.authorize_requests()[0]["query"]["nonce"] == app.nonce
    logged = oidc_provider.token_requests()
    assert [(entry["client_id"], entry["accepted"], entry["assertion_alg"]) for entry in logged] == [
        ("phb-patients", True, "RS512")
    ]


def test_it_refuses_a_wrong_code_verifier(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients")

    assert refusal(app.exchange(app.code(), verifier=secrets.token_urlsafe(48))) == "invalid_grant"


def test_it_refuses_a_code_used_twice(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients")
    code = app.code()

    assert app.exchange(code).status_code == 200
    assert refusal(app.exchange(code)) == "invalid_grant"


def test_it_refuses_an_assertion_signed_by_another_key(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients")
    stranger = RSAKey.generate_key(2048, private=True)

    signed = assertion(app.settings, app.config["token_endpoint"], key=stranger)

    assert refusal(app.exchange(app.code(), client_assertion=signed)) == "invalid_client"
    assert oidc_provider.token_requests()[0]["error"] == "invalid_client"


def test_it_refuses_an_assertion_for_another_audience(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients")

    signed = assertion(app.settings, oidc_provider.issuer)  # the issuer, not the token endpoint

    assert refusal(app.exchange(app.code(), client_assertion=signed)) == "invalid_client"


def test_it_refuses_an_assertion_used_again(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-staff", alg="RS256")
    oidc_provider.next_sign_in("phb-staff")
    oidc_provider.next_sign_in("phb-staff")
    signed = assertion(app.settings, app.config["token_endpoint"], alg="RS256")

    first = app.exchange(app.code(), client_assertion=signed)
    assert app.id_token(first).header["alg"] == "RS256"
    assert refusal(app.exchange(app.code(), client_assertion=signed)) == "invalid_client"
    assert [entry["assertion_alg"] for entry in oidc_provider.token_requests()] == ["RS256", "RS256"]


def test_it_refuses_an_authorize_request_without_a_code_challenge(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients")

    answer = app.authorize(code_challenge=None)

    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "code_challenge" in answer.text
    assert oidc_provider.authorize_requests()[0]["status"] == 400


def test_it_refuses_to_sign_in_when_nothing_is_queued(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")

    answer = app.authorize()

    assert answer.status_code == 400 and answer.text == "no sign-in queued for phb-patients"


def test_it_issues_an_expired_id_token_when_asked(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients", fault="expired")

    token = app.id_token(app.exchange(app.code()))

    assert token.claims["exp"] < time.time() - 9 * 60
    with pytest.raises(ExpiredTokenError):
        JWTClaimsRegistry().validate(token.claims)


def test_it_signs_with_an_unpublished_key_when_asked(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients", fault="bad_signature")
    published = requests.get(app.config["jwks_uri"], timeout=5).json()["keys"][0]["kid"]

    answer = app.exchange(app.code())

    # The token names the published kid, so only its signature gives it away.
    assert extract_compact(answer.json()["id_token"].encode()).headers()["kid"] == published
    with pytest.raises(BadSignatureError):
        app.id_token(answer)


def test_it_gives_the_wrong_nonce_when_asked(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients", fault="wrong_nonce")

    token = app.id_token(app.exchange(app.code()))

    assert token.claims["nonce"] and token.claims["nonce"] != app.nonce


def test_it_redirects_with_access_denied_when_the_person_cancels(oidc_provider):
    app = RelyingParty(oidc_provider, "phb-patients")
    oidc_provider.next_sign_in("phb-patients", fault="access_denied")

    answer = app.authorize()

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(f"{REDIRECT_URI}?")
    returned = parse_qs(urlsplit(location).query)
    assert returned["error"] == ["access_denied"] and returned["state"] == [app.state]
    assert "code" not in returned
