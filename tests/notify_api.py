"""A stand-in for GOV.UK Notify's API, on 127.0.0.1, that checks each request the way Notify does.

It is a real HTTP server in a background thread, so the code under test sends real requests through the
real client library (notifications-python-client); nothing is patched. Use the `notify_api` fixture (or
start a NotifyAPI yourself), add the templates the test needs with `template`, and send with its settings:
`with override_settings(**notify_api.settings({"decision": template_id})):`. Load the fixture with
`pytest_plugins = ["tests.notify_api"]` in the top conftest.py.

What it checks, as Notify does:
- the Authorization header: `Bearer <JWT>`, signed HS256 with the secret of one of the service's keys, `iss`
  the service id, `iat` within 30 seconds of now. Otherwise 401 or 403 with Notify's AuthError.
  A key is `{key name}-{service id}-{secret}`: the service id and the secret are the two UUIDs at its end.
- templates: each template it knows (`templates`, configurable per test) has a type (email, sms, letter)
  and the personalisation fields it needs. An unknown template id, a template of another type, or a missing
  field is refused with 400 BadRequestError; an e-mail address or UK mobile number that is not one with 400
  ValidationError.
- precompiled letters (`POST /v2/notifications/letter` with `content`): content that is not base64, or not a
  PDF, is refused with 400. Anything else is taken (201) and checked afterwards, as Notify does: a letter
  that fails ends in status "validation-failed", with the reasons in `failures` (Notify's own codes):
  - "letter-not-a4-portrait-oriented": a page is not A4 portrait, 595.28 x 841.89 pt, to within 1 pt;
  - "letter-too-long": more than 10 pages;
  - "address-is-empty", "not-enough-address-lines" (fewer than 3), "too-many-address-lines" (more than 7),
    "not-a-real-uk-postcode" (the last line): the address is the text in the envelope's window on page 1,
    ADDRESS_WINDOW: 24.6 to 120.0 mm from the left edge and 39.5 to 66.3 mm from the top (95.4 x 26.8 mm,
    the numbers in Notify's template-preview code);
  - "content-outside-printable-area": text on a page outside the areas Notify prints: on page 1 the logo
    area (15 to 125 mm from the left, 5 to 30 mm from the top), the service's own address (125 to 195 mm,
    5 to 95 mm), the window, and the body (15 to 195 mm, 95 to 292 mm); on later pages 15 to 195 mm and
    5 to 292 mm. Notify allows 1 mm round every area; so does this.
  A line of text counts as where it starts and as tall as its font: from its starting point on the
  baseline, up by its font size. How far it runs to the right is not measured, and only text is looked at
  (Notify renders the page and looks at every mark, images included).
- `GET /v2/notifications/<id>`: the notification, with the status a test sets (`set_status`);
  `GET /v2/notifications?reference=...`: those with that reference (and template_type, status), newest first.

Every request is kept in `requests` (accepted or not), each notification taken in `notifications`.
"""

import base64
import binascii
import dataclasses
import datetime
import io
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import jwt
import pytest
from pypdf import PdfReader
from pypdf.errors import PyPdfError

MM = 72 / 25.4
A4 = (595.28, 841.89)  # points, portrait
PAGE_SIZE_TOLERANCE = 1.0  # points
MAX_PAGES = 10
AREA_TOLERANCE = 1.0  # mm
CLOCK_SKEW = 30  # seconds


@dataclasses.dataclass(frozen=True)
class Area:
    """A rectangle on the page, in millimetres from the left and the top edges."""

    left: float
    top: float
    right: float
    bottom: float

    def holds(self, left: float, top: float, bottom: float, *, slack: float = AREA_TOLERANCE) -> bool:
        return (
            self.left - slack <= left <= self.right + slack
            and self.top - slack <= top
            and bottom <= self.bottom + slack
        )


ADDRESS_WINDOW = Area(left=24.6, top=39.5, right=120.0, bottom=66.3)
FIRST_PAGE_AREAS = (
    Area(left=15.0, top=5.0, right=125.0, bottom=30.0),  # logo
    Area(left=125.0, top=5.0, right=195.0, bottom=95.0),  # the service's address
    ADDRESS_WINDOW,
    Area(left=15.0, top=95.0, right=195.0, bottom=292.0),  # body
)
LATER_PAGE_AREAS = (Area(left=15.0, top=5.0, right=195.0, bottom=292.0),)

EMAIL = re.compile(r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)")
HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
TLD_PART = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)
# Notify's own pattern for a UK postcode, on the address's last line with its spaces taken out.
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-BD-HJLNP-UW-Z]{2}|BFPO?[0-9]{1,4}|GIR0AA)$")


@dataclasses.dataclass
class Template:
    type: str  # "email", "sms" or "letter"
    fields: tuple[str, ...] = ()  # the personalisation it needs
    version: int = 1


@dataclasses.dataclass
class Seen:
    """One request, as the stand-in saw it and answered it."""

    method: str
    path: str
    body: dict | None
    status: int
    answer: dict

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


class Refused(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def email_is_valid(address: str) -> bool:
    """Notify's test of an e-mail address, in short: one @, a host of valid parts, a real-looking top level."""
    address = address.strip()
    match = EMAIL.fullmatch(address)
    if not match or len(address) > 320 or ".." in address:
        return False
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        return False
    return all(part and len(part) <= 63 and HOSTNAME_PART.match(part) for part in parts) and bool(
        TLD_PART.match(parts[-1])
    )


def uk_mobile_is_valid(number: str) -> bool:
    """Notify's test of a UK mobile number: 07 and 9 more digits, written with +44, 0044 or 44 or without."""
    digits = re.sub(r"[\s()\-.+]", "", number)
    if not digits.isdigit():
        return False
    for prefix in ("0044", "44", "0"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    return len(digits) == 10 and digits.startswith("7")


def _text_lines(page) -> list[tuple[str, float, float, float]]:
    """Each run of text on the page: (text, mm from the left, mm from the top to its top, to its baseline)."""
    found = []
    height_pt = float(page.mediabox.top)

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        # The text's origin in page space: the text matrix, then the current transformation matrix.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = font_size * abs(tm[3] * cm[3] + tm[2] * cm[1]) or font_size
        baseline = (height_pt - y) / MM
        for line in text.splitlines():
            if line.strip():
                found.append((line.strip(), x / MM, baseline - size / MM, baseline))
                baseline += size * 1.2 / MM  # a run that holds a line break goes on below

    page.extract_text(visitor_text=visit)
    return found


def letter_failures(content: bytes) -> list[str]:
    """Why Notify would not print this PDF (its codes), or nothing if it would."""
    pdf = PdfReader(io.BytesIO(content))
    pages = list(pdf.pages)
    failures = []
    for page in pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        if (page.get("/Rotate") or 0) % 180:
            width, height = height, width
        if abs(width - A4[0]) > PAGE_SIZE_TOLERANCE or abs(height - A4[1]) > PAGE_SIZE_TOLERANCE:
            failures.append("letter-not-a4-portrait-oriented")
            break
    if len(pages) > MAX_PAGES:
        failures.append("letter-too-long")
    if failures:
        return failures
    for number, page in enumerate(pages):
        areas = FIRST_PAGE_AREAS if number == 0 else LATER_PAGE_AREAS
        lines = _text_lines(page)
        if any(not any(area.holds(left, top, base) for area in areas) for _, left, top, base in lines):
            failures.append("content-outside-printable-area")
            break
    address = address_lines(content)
    if not address:
        failures.append("address-is-empty")
    elif len(address) < 3:
        failures.append("not-enough-address-lines")
    elif len(address) > 7:
        failures.append("too-many-address-lines")
    elif not POSTCODE.match(re.sub(r"\s", "", address[-1]).upper()):
        failures.append("not-a-real-uk-postcode")
    return failures


def address_lines(content: bytes) -> list[str]:
    """The text Notify would read as the address: what is in the window on page 1."""
    return [text for text, left, top, base in text_positions(content) if ADDRESS_WINDOW.holds(left, top, base)]


def text_positions(content: bytes, page: int = 0) -> list[tuple[str, float, float, float]]:
    """Every line of text on a page: (text, mm from the left, mm from the top to its top, to its baseline)."""
    return _text_lines(PdfReader(io.BytesIO(content)).pages[page])


class NotifyAPI:
    """The stand-in. `api_key` is a key it accepts; `templates` maps template ids to Template."""

    def __init__(self):
        self.service_id = str(uuid.uuid4())
        self.secrets = [str(uuid.uuid4())]
        self.templates: dict[str, Template] = {}
        self.notifications: dict[str, dict] = {}
        self.requests: list[Seen] = []
        self.failures: dict[str, list[str]] = {}  # a precompiled letter's id -> why it was not printed
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # Running.
    def start(self) -> "NotifyAPI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def api_key(self, name: str = "phb_test", secret: str | None = None) -> str:
        return f"{name}-{self.service_id}-{secret or self.secrets[0]}"

    # Set up by a test.
    def template(self, type: str, *fields: str) -> str:
        """Adds a template of this type needing these fields. Returns its id."""
        template_id = str(uuid.uuid4())
        self.templates[template_id] = Template(type=type, fields=tuple(fields))
        return template_id

    def settings(self, templates: dict[str, str] | None = None, **kinds: str) -> dict:
        """The settings that send through this stand-in, for override_settings: each kind's template id."""
        return {
            "NOTIFY_API_KEY": self.api_key(),
            "NOTIFY_BASE_URL": self.base_url,
            "NOTIFY_TEMPLATES": {**(templates or {}), **kinds},
        }

    def set_status(self, notification_id: str, status: str) -> None:
        with self._lock:
            self.notifications[notification_id]["status"] = status

    # Read by a test.
    @property
    def accepted(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.accepted and seen.method == "POST"]

    @property
    def refused(self) -> list[Seen]:
        return [seen for seen in self.requests if not seen.accepted]

    # Answering.
    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):  # quiet: the test reads `requests` instead
                pass

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST")

            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = None
                try:
                    api._authorise(self.headers.get("Authorization", ""))
                    if method == "POST":
                        try:
                            body = json.loads(raw or b"null")
                        except ValueError:
                            raise Refused(400, "BadRequestError", "Invalid JSON supplied in POST data") from None
                        if not isinstance(body, dict):
                            raise Refused(400, "BadRequestError", "Invalid JSON supplied in POST data")
                    status, answer = api._route(method, self.path, body)
                except Refused as refused:
                    status = refused.status
                    answer = {"errors": [{"error": refused.error, "message": refused.message}], "status_code": status}
                with api._lock:
                    api.requests.append(Seen(method, self.path, body, status, answer))
                content = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        return Handler

    def _authorise(self, header: str) -> None:
        if not header:
            raise Refused(401, "AuthError", "Unauthorized: authentication token must be provided")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise Refused(401, "AuthError", "Unauthorized: authentication bearer scheme must be used")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise Refused(403, "AuthError", "Invalid token: signature, api token is not valid") from None
        if algorithm != "HS256":
            raise Refused(403, "AuthError", "Invalid token: algorithm used is not HS256")
        if "iss" not in unverified:
            raise Refused(403, "AuthError", "Invalid token: iss field not provided")
        if unverified["iss"] != self.service_id:
            raise Refused(403, "AuthError", "Invalid token: service not found")
        for secret in self.secrets:
            try:
                claims = jwt.decode(
                    token, key=secret, algorithms=["HS256"], options={"verify_iat": False, "require": ["iat"]}
                )
            except jwt.MissingRequiredClaimError:
                raise Refused(403, "AuthError", "Invalid token: iat field not provided") from None
            except jwt.PyJWTError:
                continue
            if abs(time.time() - int(claims["iat"])) > CLOCK_SKEW:
                raise Refused(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")
            return
        raise Refused(403, "AuthError", "Invalid token: API key not found")

    def _route(self, method: str, path: str, body: dict | None) -> tuple[int, dict]:
        path, _, query = path.partition("?")
        if method == "POST" and path in ("/v2/notifications/email", "/v2/notifications/sms"):
            return 201, self._message(path.rsplit("/", 1)[1], body)
        if method == "POST" and path == "/v2/notifications/letter":
            if "content" in body:
                return 201, self._precompiled_letter(body)
            raise Refused(400, "BadRequestError", "This stand-in sends precompiled letters only")
        if method == "GET" and path == "/v2/notifications":
            return 200, self._list(query)
        found = re.fullmatch(r"/v2/notifications/([0-9a-f-]{36})", path)
        if method == "GET" and found:
            with self._lock:
                if found.group(1) not in self.notifications:
                    raise Refused(404, "NoResultFound", "No result found")
                return 200, self.public(found.group(1))
        raise Refused(404, "ResourceNotFound", "Resource not found")

    def _list(self, query: str) -> dict:
        """`GET /v2/notifications`, filtered by reference, template_type and status as Notify does, newest
        first (one page: this stand-in never holds more than a page)."""
        asked = parse_qs(query)
        with self._lock:
            found = [self.public(notification_id) for notification_id in reversed(self.notifications)]
        for name, field in (("reference", "reference"), ("template_type", "type"), ("status", "status")):
            if name in asked:
                found = [notification for notification in found if notification.get(field) in asked[name]]
        return {"notifications": found, "links": {"current": f"{self.base_url}/v2/notifications?{query}"}}

    def _message(self, kind: str, body: dict) -> dict:
        to_field = "email_address" if kind == "email" else "phone_number"
        missing = [field for field in (to_field, "template_id") if not body.get(field)]
        if missing:
            raise Refused(400, "ValidationError", f"{missing[0]} is a required property")
        template = self.templates.get(str(body["template_id"]))
        if template is None:
            raise Refused(400, "BadRequestError", "Template not found")
        if template.type != kind:
            raise Refused(400, "BadRequestError", f"{template.type} template is not suitable for {kind} notification")
        personalisation = body.get("personalisation") or {}
        needed = [field for field in template.fields if field not in personalisation]
        if needed:
            raise Refused(400, "BadRequestError", f"Missing personalisation: {', '.join(needed)}")
        to = body[to_field]
        if kind == "email" and not email_is_valid(to):
            raise Refused(400, "ValidationError", "email_address Not a valid email address")
        if kind == "sms" and not uk_mobile_is_valid(to):
            raise Refused(400, "ValidationError", "phone_number Not a UK mobile number")
        notification_id = str(uuid.uuid4())
        content = {"body": personalisation.get("body", "")}
        if kind == "email":
            content.update(
                subject=personalisation.get("subject", ""), from_email="phb.team@notifications.service.gov.uk"
            )
        else:
            content["from_number"] = "GOVUK"
        template_part = {
            "id": str(body["template_id"]),
            "version": template.version,
            "uri": f"{self.base_url}/v2/template/{body['template_id']}",
        }
        self._keep(
            notification_id,
            type=kind,
            reference=body.get("reference"),
            email_address=to if kind == "email" else None,
            phone_number=to if kind == "sms" else None,
            template=template_part,
            personalisation=personalisation,
            body=content["body"],
            subject=content.get("subject"),
            status="created",
        )
        return {
            "id": notification_id,
            "reference": body.get("reference"),
            "content": content,
            "uri": f"{self.base_url}/v2/notifications/{notification_id}",
            "template": template_part,
            "scheduled_for": None,
        }

    def _precompiled_letter(self, body: dict) -> dict:
        if not body.get("reference"):
            raise Refused(400, "ValidationError", "reference is a required property")
        postage = body.get("postage", "second")
        if postage not in ("first", "second", "economy", "europe", "rest-of-world"):
            raise Refused(
                400, "ValidationError", "postage invalid. It must be first, second, economy, europe or rest-of-world."
            )
        try:
            content = base64.b64decode(body["content"], validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise Refused(400, "BadRequestError", "Cannot decode letter content (invalid base64 encoding)") from None
        try:
            failures = letter_failures(content)
        except (PyPdfError, ValueError, KeyError):
            raise Refused(400, "BadRequestError", "Letter content is not a valid PDF") from None
        notification_id = str(uuid.uuid4())
        self.failures[notification_id] = failures
        self._keep(
            notification_id,
            type="letter",
            reference=body["reference"],
            postage=postage,
            status="validation-failed" if failures else "accepted",
            pdf=content,
        )
        return {"id": notification_id, "reference": body["reference"], "postage": postage}

    def _keep(self, notification_id: str, **fields) -> None:
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock:
            self.notifications[notification_id] = {"id": notification_id, "created_at": now, **fields}

    def public(self, notification_id: str) -> dict:
        """A notification as GET returns it (the PDF of a letter left out)."""
        return {key: value for key, value in self.notifications[notification_id].items() if key != "pdf"}


@pytest.fixture
def notify_api():
    """A running stand-in, for this test only. Point the settings at it with `override_settings(**api.settings())`."""
    api = NotifyAPI().start()
    try:
        yield api
    finally:
        api.stop()
