"""Signing in through an OpenID Connect provider: NHS login for people (portal.nhs_login) and NHS CIS2 for staff
(accounts.cis2). Both use the authorisation code flow, with:

- PKCE (S256): the code is worth nothing to anyone who did not start the sign-in in this browser session;
- `private_key_jwt` client authentication: the service proves who it is at the token endpoint with a short JWT
  signed by its private key, never a shared secret (NHS login and CIS2 both require it, RS512);
- the ID token checked against the provider's published keys (JWKS), its issuer, audience, expiry and the nonce
  this session sent, before any claim in it is believed.

Authlib does the OAuth 2 parts (the authorisation URL, PKCE, the signed client assertion, the token request)
and joserfc, which Authlib itself uses, checks the ID token: no JSON Web Token is built or parsed by hand here.
We chose Authlib over mozilla-django-oidc because mozilla-django-oidc authenticates clients with a shared
secret only, and NHS login and CIS2 accept `private_key_jwt` alone.

Nothing here writes to the database or decides who the person is: `complete` returns the checked claims, and
the caller (portal.nhs_login, accounts.cis2) links them to an account, refuses or signs in, and audits.
"""

import hmac
import logging
import time
from dataclasses import dataclass, field

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

logger = logging.getLogger(__name__)

SESSION_KEY = "oidc_flows"
# A sign-in started longer ago than this is not finished: the person starts again.
FLOW_LIFETIME = 10 * 60
# The client assertion sent to the token endpoint lives this long (NHS login accepts no more than 5 minutes).
ASSERTION_LIFETIME = 60
# The provider's discovery document and keys are read once an hour at most (and again at once for a key we do
# not know, so a provider that rotates its keys is followed without waiting).
METADATA_CACHE_SECONDS = 60 * 60
TIMEOUT = 10
# Clock difference allowed between the provider and us when checking the ID token's times.
LEEWAY = 30
ALGORITHMS = ["RS512", "RS256"]


@dataclass(frozen=True)
class Provider:
    """One provider as configured in settings.OIDC_PROVIDERS[name]."""

    name: str
    issuer: str
    client_id: str
    private_key: str = field(repr=False)
    key_id: str = ""
    scopes: str = "openid"
    # Sent with the authorisation request as they are: NHS login's `vtr` (the level of identity proof asked
    # for), CIS2's `acr_values`.
    extra_params: tuple = ()
    assertion_alg: str = "RS512"


def provider(name: str) -> Provider | None:
    """The provider configured under this name, or None when it is not configured (then it is off)."""
    config = (getattr(settings, "OIDC_PROVIDERS", None) or {}).get(name) or {}
    if not (config.get("issuer") and config.get("client_id") and config.get("private_key")):
        return None
    return Provider(
        name=name,
        issuer=config["issuer"].rstrip("/"),
        client_id=config["client_id"],
        private_key=config["private_key"],
        key_id=config.get("key_id", ""),
        scopes=config.get("scopes", "openid"),
        extra_params=tuple(sorted((config.get("extra_params") or {}).items())),
        assertion_alg=config.get("assertion_alg", "RS512"),
    )


class Refused(Exception):
    """The sign-in did not complete. `reason` is short and names what failed, for the audit trail and the logs;
    the person is only ever shown a plain page that asks them to try again."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    """What the provider vouched for: the ID token's claims (checked) and the userinfo answer (same subject)."""

    claims: dict
    userinfo: dict
    kept: dict  # what the caller asked `begin` to keep for the return (an invitation's token, say)

    @property
    def subject(self) -> str:
        return self.claims["sub"]

    def get(self, name: str, default=None):
        """A claim from userinfo, or else from the ID token."""
        return self.userinfo.get(name, self.claims.get(name, default))


def _get_json(url: str) -> dict:
    response = requests.get(url, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()


def metadata(p: Provider) -> dict:
    """The provider's discovery document, cached; its issuer must be the one configured."""
    key = f"oidc:metadata:{p.issuer}"
    found = cache.get(key)
    if found is None:
        try:
            found = _get_json(f"{p.issuer}/.well-known/openid-configuration")
        except (requests.RequestException, ValueError) as error:
            raise Refused(f"discovery unavailable ({type(error).__name__})") from error
        if found.get("issuer", "").rstrip("/") != p.issuer:
            raise Refused("discovery names another issuer")
        cache.set(key, found, METADATA_CACHE_SECONDS)
    return found


def _keys(p: Provider, *, fresh: bool = False) -> KeySet:
    key = f"oidc:jwks:{p.issuer}"
    found = None if fresh else cache.get(key)
    if found is None:
        try:
            found = _get_json(metadata(p)["jwks_uri"])
        except (requests.RequestException, ValueError, KeyError) as error:
            raise Refused(f"keys unavailable ({type(error).__name__})") from error
        cache.set(key, found, METADATA_CACHE_SECONDS)
    return KeySet.import_key_set(found)


def begin(request, p: Provider, *, redirect_uri: str, keep: dict | None = None) -> str:
    """Starts a sign-in: remembers its state, nonce and PKCE verifier in this session, and returns the
    provider's address to send the browser to. `keep` comes back in `SignedIn.kept`."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    flows = request.session.get(SESSION_KEY, {})
    flows[p.name] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "at": time.time(),
        "keep": keep or {},
    }
    request.session[SESSION_KEY] = flows
    client = OAuth2Session(p.client_id, scope=p.scopes, redirect_uri=redirect_uri, code_challenge_method="S256")
    url, _ = client.create_authorization_url(
        metadata(p)["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier, **dict(p.extra_params)
    )
    return url


class _ClientAssertion(PrivateKeyJWT):
    """Authlib's private_key_jwt, with an assertion that lives ASSERTION_LIFETIME instead of Authlib's hour."""

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(
            RSAKey.import_key(auth.client_secret),
            client_id=auth.client_id,
            token_endpoint=token_endpoint,
            header=self.headers,
            alg=self.alg,
            expires_in=ASSERTION_LIFETIME,
        )


def _flow(request, p: Provider) -> dict:
    """This session's sign-in with the provider, taken out of the session: a return is used once."""
    flows = request.session.get(SESSION_KEY) or {}
    flow = flows.pop(p.name, None)
    request.session[SESSION_KEY] = flows
    if not isinstance(flow, dict):
        raise Refused("no sign-in was started in this session")
    if not 0 <= time.time() - flow.get("at", 0) <= FLOW_LIFETIME:
        raise Refused("the sign-in was started too long ago")
    return flow


def check_id_token(p: Provider, id_token: str, *, nonce: str) -> dict:
    """The ID token's claims, once its signature, issuer, audience, times and nonce are right."""
    try:
        try:
            token = jwt.decode(id_token, _keys(p), algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            if "kid" not in str(error).lower() and "key" not in type(error).__name__.lower():
                raise
            token = jwt.decode(id_token, _keys(p, fresh=True), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": p.issuer},
            aud={"essential": True, "value": p.client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as error:
        raise Refused(f"ID token refused: {type(error).__name__}: {str(error)[:120]}") from error
    return token.claims


def complete(request, p: Provider) -> SignedIn:
    """Finishes a sign-in on the provider's return: checks the state, swaps the code for tokens (PKCE and the
    signed client assertion), checks the ID token and reads userinfo. Any failure raises Refused."""
    flow = _flow(request, p)
    if not hmac.compare_digest(str(request.GET.get("state", "")), flow["state"]):
        raise Refused("state does not match this session's sign-in")
    if request.GET.get("error"):
        raise Refused(f"provider answered {str(request.GET['error'])[:60]}")
    code = request.GET.get("code", "")
    if not code:
        raise Refused("no code in the return")
    endpoints = metadata(p)
    auth = _ClientAssertion(endpoints["token_endpoint"], headers={"kid": p.key_id} if p.key_id else None)
    auth.alg = p.assertion_alg
    session = OAuth2Session(
        p.client_id, p.private_key, token_endpoint_auth_method=auth, redirect_uri=flow["redirect_uri"]
    )
    try:
        token = session.fetch_token(
            endpoints["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=flow["verifier"],
            timeout=TIMEOUT,
        )
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        raise Refused(f"token request refused ({str(error)[:120]})") from error
    if "id_token" not in token:
        raise Refused("no ID token in the token answer")
    claims = check_id_token(p, token["id_token"], nonce=flow["nonce"])
    userinfo = {}
    if endpoints.get("userinfo_endpoint"):
        try:
            response = session.get(endpoints["userinfo_endpoint"], timeout=TIMEOUT)
            response.raise_for_status()
            userinfo = response.json()
        except (AuthlibBaseError, requests.RequestException, ValueError) as error:
            raise Refused(f"userinfo refused ({str(error)[:120]})") from error
        if userinfo.get("sub") != claims["sub"]:
            raise Refused("userinfo is about another subject")
    return SignedIn(claims=claims, userinfo=userinfo, kept=flow.get("keep") or {})
