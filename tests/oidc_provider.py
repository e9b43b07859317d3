"""A stand-in for NHS login (patients) and NHS CIS2 (staff): a small OpenID Connect provider on 127.0.0.1.

It runs as its own process (`python -m tests.oidc_provider`), so the code under test signs people in through
real HTTP, real redirects and real signed tokens; nothing is patched. On start it makes its RSA signing key,
binds a free port, prints `listening on http://127.0.0.1:PORT` and serves until it is killed (or its parent
dies). The issuer is that URL. Load the fixtures with `pytest_plugins = ["tests.oidc_provider"]` in the top
conftest.py; a test asks for `oidc_provider`, registers the app with `client(client_id)` (which gives the
settings the app needs: issuer, client id, private key) and queues who signs in next with `next_sign_in`.

What it does, as NHS login and CIS2 do (the authorization code flow with PKCE and private_key_jwt):
- `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json`: discovery and the public key.
- `GET /authorize`: needs response_type=code, a registered client_id, an http(s) redirect_uri, a scope with
  openid, state, nonce, and a code_challenge with code_challenge_method=S256. A request that fails a check
  gets 400 and a line of plain text saying which (it never redirects a bad request). Otherwise it takes the
  next sign-in queued for the client and redirects to redirect_uri with `code` and `state`. The code can be
  used once, within 60 seconds, by that client with that redirect_uri and the verifier of that challenge.
- `POST /token`: the code, redirect_uri and code_verifier, and the client's assertion: a JWT signed RS512 or
  RS256 with the client's key, iss and sub the client id, aud the token endpoint, exp in the future and no
  more than 5 minutes ahead, a jti never seen before. Refusals are RFC 6749's 400 JSON errors:
  invalid_client (the assertion), invalid_grant (the code, verifier or redirect_uri), invalid_request,
  unsupported_grant_type. It answers an access token and an id token signed with its key (RS512 unless the
  client was registered with RS256) carrying iss, sub, aud, iat, exp, auth_time, jti, nonce and the queued
  claims, which may replace any of those.
- `GET /userinfo` with `Authorization: Bearer <access token>`: sub and the queued userinfo claims, or 401.

A queued sign-in may carry a fault, to test how the app copes with a provider that goes wrong:
- at /authorize: "access_denied" (the person cancelled: redirects with error=access_denied), "wrong_state"
  (redirects with a code and someone else's state);
- in the id token: "expired" (issued 15 minutes ago, expired 10 minutes ago), "wrong_nonce", "no_nonce",
  "wrong_audience" (for another client), "wrong_issuer" (from another provider), "bad_signature" (signed by a
  key that is not in the JWKS, under the same kid).

Every authorize and token request is logged (`authorize_requests`, `token_requests`), accepted or not.
The `/_control/` endpoints (JSON in, JSON out) are for the pytest side, OidcProvider, only.
"""

import base64
import collections
import dataclasses
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

ALGORITHMS = ["RS512", "RS256"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CODE_LIFETIME = 60  # seconds
TOKEN_LIFETIME = 300  # seconds, the id token's and the access token's
ASSERTION_LIFETIME = 300  # an assertion may expire no later than this far ahead
CLOCK_SKEW = 5  # seconds allowed for rounding between the app's clock and ours (the same machine's)
AUTHORIZE_FAULTS = {"access_denied", "wrong_state"}
ID_TOKEN_FAULTS = {"expired", "wrong_nonce", "no_nonce", "wrong_audience", "wrong_issuer", "bad_signature"}
FAULTS = AUTHORIZE_FAULTS | ID_TOKEN_FAULTS
# RFC 7636: a code verifier is 43 to 128 unreserved characters; an S256 challenge is 43 base64url characters.
CODE_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20  # seconds


def s256(verifier: str) -> str:
    """The S256 code challenge of a verifier: BASE64URL(SHA256(verifier)), without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


class Refused(Exception):
    """A request the provider turns down: the HTTP status, the OAuth error code and why."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclasses.dataclass
class Client:
    client_id: str
    key: RSAKey  # the client's public key, which checks its assertions
    alg: str  # the id token's


@dataclasses.dataclass
class SignIn:
    """What the next /authorize for a client yields: who signs in, and what the tokens and userinfo say."""

    sub: str
    id_token: dict
    userinfo: dict
    fault: str | None


@dataclasses.dataclass
class Code:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    scope: str
    sign_in: SignIn
    expires: float
    used: bool = False


@dataclasses.dataclass
class AccessToken:
    sub: str
    userinfo: dict
    expires: float


class Provider:
    """The provider's state and answers, apart from HTTP. Everything it keeps is guarded by `_lock`."""

    def __init__(self, issuer: str = ""):
        self.issuer = issuer
        kid = f"phb-test-{secrets.token_hex(4)}"
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}, private=True)
        # The "bad_signature" fault signs with this: a key nobody was told about, under the published kid.
        self.rogue_key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}, private=True)
        self.clients: dict[str, Client] = {}
        self.queued: dict[str, collections.deque[SignIn]] = collections.defaultdict(collections.deque)
        self.codes: dict[str, Code] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.jtis_seen: set[tuple[str, str]] = set()  # kept over reset: a replay is a replay in any test
        self.authorize_log: list[dict] = []
        self.token_log: list[dict] = []
        self._lock = threading.Lock()

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    # Published.
    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": self.token_endpoint,
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ALGORITHMS,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ALGORITHMS,
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "profile", "email", "phone", "nhs_number", "nationalrbacaccess"],
            "claims_supported": [
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "jti",
                "nonce",
                "vot",
                "vtm",
                "identity_proofing_level",
                "given_name",
                "family_name",
                "birthdate",
                "email",
                "email_verified",
                "phone_number",
                "phone_number_verified",
                "nhs_number",
                "name",
                "uid",
                "nhsid_useruid",
                "nhsid_nrbac_roles",
                "selected_roleid",
                "id_assurance_level",
                "authentication_assurance_level",
            ],
        }

    def jwks(self) -> dict:
        return KeySet([self.key]).as_dict(private=False)

    # Set up by the pytest side.
    def register(self, body: dict) -> dict:
        client_id, jwk, alg = body.get("client_id"), body.get("jwk"), body.get("alg", "RS512")
        if not client_id or not isinstance(jwk, dict):
            raise Refused(400, "invalid_request", "a client needs client_id and jwk")
        if alg not in ALGORITHMS:
            raise Refused(400, "invalid_request", f"alg must be one of {ALGORITHMS}")
        key = RSAKey.import_key({name: value for name, value in jwk.items() if name not in ("d", "p", "q")})
        with self._lock:
            self.clients[client_id] = Client(client_id=client_id, key=key, alg=alg)
        return {"client_id": client_id}

    def queue(self, body: dict) -> dict:
        client_id, fault = body.get("client_id"), body.get("fault")
        if fault is not None and fault not in FAULTS:
            raise Refused(400, "invalid_request", f"unknown fault {fault!r}; the faults are {sorted(FAULTS)}")
        sub = body.get("sub") or str(uuid.uuid4())
        sign_in = SignIn(sub=sub, id_token=body.get("id_token") or {}, userinfo=body.get("userinfo") or {}, fault=fault)
        with self._lock:
            if client_id not in self.clients:
                raise Refused(400, "invalid_request", f"no client {client_id!r}: register it first")
            self.queued[client_id].append(sign_in)
        return {"sub": sub}

    def reset(self) -> dict:
        with self._lock:
            self.queued.clear()
            self.codes.clear()
            self.access_tokens.clear()
            self.authorize_log.clear()
            self.token_log.clear()
        return {}

    # The flow.
    def authorize(self, query: str) -> str:
        """Where /authorize redirects to, or Refused (shown as plain text: the request is never redirected)."""
        asked = dict(parse_qsl(query, keep_blank_values=True))
        entry = {"query": asked, "status": 302, "error": None}
        try:
            location = self._authorize(asked)
        except Refused as refused:
            entry.update(status=refused.status, error=refused.description)
            raise
        finally:
            with self._lock:
                self.authorize_log.append(entry)
        return location

    def _authorize(self, asked: dict) -> str:
        if asked.get("response_type") != "code":
            raise Refused(400, "unsupported_response_type", "response_type must be code")
        client_id = asked.get("client_id", "")
        if not client_id:
            raise Refused(400, "invalid_request", "client_id is missing")
        if client_id not in self.clients:
            raise Refused(400, "unauthorized_client", f"client_id {client_id} is not registered")
        redirect_uri = asked.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise Refused(400, "invalid_request", "redirect_uri must be an http or https URL without a fragment")
        if "openid" not in asked.get("scope", "").split():
            raise Refused(400, "invalid_scope", "scope must contain openid")
        for needed in ("state", "nonce", "code_challenge"):
            if not asked.get(needed):
                raise Refused(400, "invalid_request", f"{needed} is missing")
        if asked.get("code_challenge_method") != "S256":
            raise Refused(400, "invalid_request", "code_challenge_method must be S256")
        if not S256_CHALLENGE.fullmatch(asked["code_challenge"]):
            raise Refused(400, "invalid_request", "code_challenge is not an S256 challenge (43 base64url characters)")
        with self._lock:
            if not self.queued[client_id]:
                raise Refused(400, "invalid_request", f"no sign-in queued for {client_id}")
            sign_in = self.queued[client_id].popleft()
            state = asked["state"]
            if sign_in.fault == "access_denied":
                answer = {"error": "access_denied", "error_description": "The person cancelled signing in"}
            else:
                code = secrets.token_urlsafe(32)
                self.codes[code] = Code(
                    client_id=client_id,
                    redirect_uri=redirect_uri,
                    code_challenge=asked["code_challenge"],
                    nonce=asked["nonce"],
                    scope=asked["scope"],
                    sign_in=sign_in,
                    expires=time.time() + CODE_LIFETIME,
                )
                answer = {"code": code}
                if sign_in.fault == "wrong_state":
                    state = secrets.token_urlsafe(16)
        separator = "&" if parts.query else ("" if redirect_uri.endswith("?") else "?")
        return f"{redirect_uri}{separator}{urlencode({**answer, 'state': state})}"

    def token(self, form: dict, content_type: str) -> dict:
        entry = {
            "client_id": form.get("client_id"),
            "accepted": False,
            "error": None,
            "error_description": None,
            "assertion_alg": None,
        }
        try:
            answer = self._token(form, content_type, entry)
            entry["accepted"] = True
            return answer
        except Refused as refused:
            entry.update(error=refused.error, error_description=refused.description)
            raise
        finally:
            with self._lock:
                self.token_log.append(entry)

    def _token(self, form: dict, content_type: str, entry: dict) -> dict:
        if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
            raise Refused(400, "invalid_request", "the body must be application/x-www-form-urlencoded")
        client = self._authenticate(form, entry)
        if form.get("grant_type") != "authorization_code":
            raise Refused(400, "unsupported_grant_type", "grant_type must be authorization_code")
        for needed in ("code", "redirect_uri", "code_verifier"):
            if not form.get(needed):
                raise Refused(400, "invalid_request", f"{needed} is missing")
        now = time.time()
        with self._lock:
            code = self.codes.get(form["code"])
            if code is None:
                raise Refused(400, "invalid_grant", "the code is not one this provider issued")
            if code.used:
                raise Refused(400, "invalid_grant", "the code has been used already")
            if code.expires < now:
                raise Refused(400, "invalid_grant", "the code has expired")
            if code.client_id != client.client_id:
                raise Refused(400, "invalid_grant", "the code was issued to another client")
            if code.redirect_uri != form["redirect_uri"]:
                raise Refused(400, "invalid_grant", "redirect_uri is not the one given at /authorize")
            if not CODE_VERIFIER.fullmatch(form["code_verifier"]):
                raise Refused(400, "invalid_grant", "code_verifier must be 43 to 128 unreserved characters")
            if s256(form["code_verifier"]) != code.code_challenge:
                raise Refused(400, "invalid_grant", "code_verifier does not match the code_challenge")
            code.used = True
            access_token = secrets.token_urlsafe(32)
            self.access_tokens[access_token] = AccessToken(
                sub=code.sign_in.sub, userinfo=code.sign_in.userinfo, expires=now + TOKEN_LIFETIME
            )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME,
            "id_token": self._id_token(client, code, now),
            "scope": code.scope,
        }

    def _authenticate(self, form: dict, entry: dict) -> Client:
        """The client whose private_key_jwt assertion this is, or Refused with invalid_client."""
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise Refused(400, "invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion", "")
        if not assertion:
            raise Refused(400, "invalid_client", "client_assertion is missing")
        try:
            header = json.loads(base64.urlsafe_b64decode(assertion.split(".")[0] + "==="))
            entry["assertion_alg"] = header.get("alg")
            claims = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "==="))
            client_id = claims["iss"]
        except (ValueError, IndexError, KeyError, TypeError, AttributeError):
            raise Refused(400, "invalid_client", "client_assertion is not a JWT with an iss") from None
        entry["client_id"] = entry["client_id"] or client_id
        if header.get("alg") not in ALGORITHMS:
            raise Refused(400, "invalid_client", f"client_assertion must be signed with one of {ALGORITHMS}")
        with self._lock:
            client = self.clients.get(client_id)
        if client is None:
            raise Refused(400, "invalid_client", f"client {client_id} is not registered")
        try:
            claims = jwt.decode(assertion, client.key, algorithms=ALGORITHMS).claims
        except (JoseError, ValueError):
            raise Refused(400, "invalid_client", "client_assertion's signature is not the client's key") from None
        if claims.get("sub") != client_id:
            raise Refused(400, "invalid_client", "client_assertion's iss and sub must both be the client_id")
        if form.get("client_id") and form["client_id"] != client_id:
            raise Refused(400, "invalid_client", "client_id is not the client_assertion's iss")
        audience = claims.get("aud")
        if audience != self.token_endpoint and not (isinstance(audience, list) and self.token_endpoint in audience):
            raise Refused(400, "invalid_client", f"client_assertion's aud must be {self.token_endpoint}")
        now = time.time()
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise Refused(400, "invalid_client", "client_assertion has no exp")
        if expires <= now:
            raise Refused(400, "invalid_client", "client_assertion has expired")
        if expires > now + ASSERTION_LIFETIME + CLOCK_SKEW:
            raise Refused(400, "invalid_client", "client_assertion's exp is more than 5 minutes ahead")
        jti = claims.get("jti")
        if not jti or not isinstance(jti, str):
            raise Refused(400, "invalid_client", "client_assertion has no jti")
        with self._lock:
            if (client_id, jti) in self.jtis_seen:
                raise Refused(400, "invalid_client", "client_assertion's jti has been used before")
            self.jtis_seen.add((client_id, jti))
        return client

    def _id_token(self, client: Client, code: Code, now: float) -> str:
        issued = int(now)
        claims = {
            "iss": self.issuer,
            "sub": code.sign_in.sub,
            "aud": client.client_id,
            "iat": issued,
            "exp": issued + TOKEN_LIFETIME,
            "auth_time": issued,
            "jti": str(uuid.uuid4()),
            "nonce": code.nonce,
            **code.sign_in.id_token,
        }
        fault, key = code.sign_in.fault, self.key
        if fault == "expired":
            claims.update(iat=issued - 15 * 60, auth_time=issued - 15 * 60, exp=issued - 10 * 60)
        elif fault == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif fault == "no_nonce":
            claims.pop("nonce", None)
        elif fault == "wrong_audience":
            claims["aud"] = f"another-client-{secrets.token_hex(4)}"
        elif fault == "wrong_issuer":
            claims["iss"] = "https://wrong-issuer.example.com"
        elif fault == "bad_signature":
            key = self.rogue_key
        return jwt.encode({"alg": client.alg, "kid": self.key.kid}, claims, key, algorithms=[client.alg])

    def userinfo(self, authorization: str) -> dict:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            found = self.access_tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if found is None or found.expires < time.time():
            raise Refused(401, "invalid_token", "the access token is missing, unknown or expired")
        return {**found.userinfo, "sub": found.sub}

    def logs(self, which: str) -> list[dict]:
        with self._lock:
            return list(self.authorize_log if which == "authorize" else self.token_log)


def make_handler(provider: Provider):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # quiet: the tests read the logs through /_control/
            pass

        def do_GET(self):
            path, _, query = self.path.partition("?")
            try:
                if path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif path == "/.well-known/jwks.json":
                    self._json(200, provider.jwks())
                elif path == "/authorize":
                    self._redirect(provider.authorize(query))
                elif path == "/userinfo":
                    self._json(200, provider.userinfo(self.headers.get("Authorization", "")))
                elif path == "/_control/authorize-requests":
                    self._json(200, provider.logs("authorize"))
                elif path == "/_control/token-requests":
                    self._json(200, provider.logs("token"))
                else:
                    self._text(404, "not found")
            except Refused as refused:
                if path == "/userinfo":
                    self._json(401, {"error": refused.error}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
                else:
                    self._text(refused.status, refused.description)

        def do_POST(self):
            path = self.path.partition("?")[0]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if path == "/token":
                    form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
                    answer = provider.token(form, self.headers.get("Content-Type", ""))
                    self._json(200, answer, {"Cache-Control": "no-store", "Pragma": "no-cache"})
                    return
                control = {
                    "/_control/clients": provider.register,
                    "/_control/sign-ins": provider.queue,
                    "/_control/reset": lambda body: provider.reset(),
                }
                if path not in control:
                    self._text(404, "not found")
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise Refused(400, "invalid_request", "the body must be JSON") from None
                self._json(200, control[path](body if isinstance(body, dict) else {}))
            except Refused as refused:
                answer = {"error": refused.error, "error_description": refused.description}
                self._json(refused.status, answer, {"Cache-Control": "no-store"})

        def _json(self, status: int, answer, headers: dict | None = None):
            self._send(status, json.dumps(answer).encode(), "application/json", headers)

        def _text(self, status: int, text: str):
            self._send(status, text.encode(), "text/plain; charset=utf-8")

        def _redirect(self, location: str):
            self._send(302, b"", "text/plain; charset=utf-8", {"Location": location})

        def _send(self, status: int, content: bytes, content_type: str, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

    return Handler


def _exit_when_orphaned(parent: int) -> None:
    """Ends this process once its parent has gone (say pytest was killed), so no stand-in is left running."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def main() -> None:
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(provider))
    host, port = server.server_address[:2]
    provider.issuer = f"http://{host}:{port}"
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    print(f"listening on {provider.issuer}", flush=True)
    server.serve_forever(poll_interval=0.1)


# The pytest side.
class OidcProvider:
    """A handle on a running stand-in process, talking to it over its /_control/ endpoints."""

    def __init__(self, process, issuer: str, output):
        self.process, self.issuer, self._output = process, issuer, output
        self._clients: dict[str, dict] = {}
        self._session = requests.Session()

    @classmethod
    def start(cls) -> "OidcProvider":
        """Starts `python -m tests.oidc_provider` and waits until it says where it listens."""
        # Files rather than pipes: nobody reads a pipe once it has started, and a full one would stop it.
        stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider"], cwd=ROOT, stdout=stdout, stderr=stderr
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            stdout.seek(0)
            found = re.search(rb"listening on (http://\S+)\n", stdout.read())
            if found:
                return cls(process, found.group(1).decode(), (stdout, stderr))
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
        process.wait()
        stderr.seek(0)
        said = stderr.read().decode(errors="replace").strip() or "(nothing)"
        stdout.close()
        stderr.close()
        how = "stopped" if process.returncode != -signal.SIGKILL else f"did not start within {START_TIMEOUT} s"
        raise RuntimeError(
            f"The OpenID Connect stand-in (python -m tests.oidc_provider) {how} "
            f"(exit code {process.returncode}). It wrote on stderr:\n{said}"
        )

    def stop(self) -> None:
        self._session.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for output in self._output:
            output.close()

    def _call(self, method: str, path: str, body: dict | None = None):
        answer = self._session.request(method, f"{self.issuer}/_control/{path}", json=body, timeout=10)
        if answer.status_code != 200:
            raise RuntimeError(f"The OpenID Connect stand-in refused {path}: {answer.status_code} {answer.text}")
        return answer.json()

    def client(self, client_id: str, *, alg: str = "RS512") -> dict:
        """Registers the client (once per client_id per process; later calls return the same) with a fresh RSA key
        made here, and returns the app's settings for it: {"issuer", "client_id", "private_key" (PEM, PKCS8),
        "key_id"}. The id tokens it gets are signed with `alg`."""
        if client_id in self._clients:
            settings, registered_alg = self._clients[client_id]
            if alg != registered_alg:
                raise ValueError(f"{client_id} was registered with {registered_alg} already, not {alg}")
            return dict(settings)
        key = RSAKey.generate_key(2048, parameters={"kid": f"{client_id}-{secrets.token_hex(4)}"}, private=True)
        self._call("POST", "clients", {"client_id": client_id, "jwk": key.as_dict(private=False), "alg": alg})
        settings = {
            "issuer": self.issuer,
            "client_id": client_id,
            "private_key": key.as_pem(private=True).decode(),
            "key_id": key.kid,
        }
        self._clients[client_id] = (settings, alg)
        return dict(settings)

    def next_sign_in(
        self,
        client_id: str,
        *,
        sub: str = "",
        id_token: dict | None = None,
        userinfo: dict | None = None,
        fault: str | None = None,
    ) -> str:
        """Queues what the next /authorize for the client yields; returns the sub (a random one if not given)."""
        body = {"client_id": client_id, "sub": sub, "id_token": id_token, "userinfo": userinfo, "fault": fault}
        return self._call("POST", "sign-ins", body)["sub"]

    def authorize_requests(self) -> list[dict]:
        """Each /authorize request: {"query": its parameters, "status": 302 or 400, "error": why refused}."""
        return self._call("GET", "authorize-requests")

    def token_requests(self) -> list[dict]:
        """Each /token request: {"client_id", "accepted", "error", "error_description", "assertion_alg"}."""
        return self._call("GET", "token-requests")

    def reset(self) -> None:
        """Forgets queued sign-ins, codes, access tokens and logs; the clients stay registered."""
        self._call("POST", "reset", {})


@pytest.fixture(scope="session")
def oidc_provider_process():
    """The stand-in process, one for the whole run (one per xdist worker)."""
    try:
        provider = OidcProvider.start()
    except RuntimeError as failed:
        pytest.fail(str(failed), pytrace=False)
    try:
        yield provider
    finally:
        provider.stop()


@pytest.fixture
def oidc_provider(oidc_provider_process):
    """The stand-in, with nothing queued or logged from an earlier test."""
    oidc_provider_process.reset()
    return oidc_provider_process


if __name__ == "__main__":
    main()
