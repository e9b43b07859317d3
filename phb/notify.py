"""GOV.UK Notify: how the service sends e-mails, text messages and posted letters.

Notify is the government's service for messages to the public. We send each message to Notify's API and
it delivers it, and it tells us afterwards whether the message arrived.

- E-mails: `NotifyEmailBackend` is a Django e-mail backend, so a Django `EmailMessage` (an outbox row's
  message) goes out through Notify unchanged. Each message names its kind in the `X-Notify-Kind` header
  (say "decision" or "review-reminder"), and NOTIFY_TEMPLATES gives that kind's template. A message with no
  kind uses the template for "default", if there is one. A template fills in `((subject))` and `((body))`
  from the message: this is Notify's "blank template" pattern, so the wording stays in our code. A message
  that needs more fields sets them as a dict on the message before sending:
  `message.notify_personalisation = {"review_date": "4 March 2027"}`. Each recipient (to, cc and bcc)
  gets a request of their own. The message's `X-Idempotency-Key` header (the outbox sets it) is the
  `reference` Notify keeps with the notification. After sending, `message.notify_ids` maps each address to
  the id of its notification.
- Text messages: `send_text`. Letters: `send_precompiled_letter` posts a PDF we made (phb.pdf), as it is.
- Did it arrive: `delivery_status` reads a notification's status back; `statuses` reads many at once, a page of
  250 a request. The outbox keeps on each row the ids of the notifications its message went as
  (`notification_ids`), and phb.delivery records what Notify says of them.

Sent once: Notify itself does not drop a request because its reference was seen before (the reference is a
label, not a lock). So before sending, each of these asks Notify for the notifications it already has with
the reference (`sent_with_reference`, one request) and does not send again to a recipient who has one that
has not failed. So when a worker dies after Notify took a message and the outbox sends the row again,
nothing goes twice. One that failed (an inbox that was full, a letter Notify could not print) is sent
again when asked. Without a reference nothing is looked up.

Settings:
- NOTIFY_API_KEY: the key from Notify's "API integration" page, `{key name}-{service id}-{secret}`. Empty
  means Notify is not in use (`configured()`), for local work.
- NOTIFY_TEMPLATES: kind -> template id, one template a kind of message.
- NOTIFY_BASE_URL: Notify's API, https://api.notifications.service.gov.uk unless set. Only the scheme, host and
  port are used: the client library joins every path to it from the root.

Errors: a request Notify refuses (a 4xx: a wrong key, an unknown template, a missing field, an address it
cannot send to) raises NotifyRefused; one it could not answer (a 5xx, too many requests, no connection)
raises NotifyUnavailable. The outbox keeps either on the row. The backend swallows both if asked to
(`fail_silently`), as Django's own backends do.

Why the client library (notifications-python-client, from the Notify team): it signs each request with a
fresh token from the API key as Notify requires, and it follows their API as it changes, so we write no
token code of our own. It keeps a connection (a requests session) and is not safe to share between threads,
so each backend connection and each call here makes its own.
"""

import datetime
import io
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
# The header an e-mail names its kind in (a key of NOTIFY_TEMPLATES).
KIND_HEADER = "X-Notify-Kind"
# The kind of an e-mail that names none (say Django's own password reset e-mail).
DEFAULT_KIND = "default"
# Seconds to wait for Notify: well inside a send task's time limits, so a slow answer fails the attempt and the
# outbox tries again later.
TIMEOUT = 10
POSTAGE = ("first", "second", "economy", "europe", "rest-of-world")
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The client library reads the service id and the secret from the end of the key, by position.
API_KEY = re.compile(rf".+-(?P<service_id>{_UUID})-(?P<secret>{_UUID})", re.IGNORECASE)


class NotifyError(Exception):
    """Notify did not take the message. `status_code` is Notify's answer (503 when there was none)."""

    def __init__(self, message: str, *, status_code: int):
        super().__init__(message)
        self.status_code = status_code


class NotifyRefused(NotifyError):
    """Notify refused the request (4xx): sending it again unchanged will be refused again."""


class NotifyUnavailable(NotifyError):
    """Notify could not be reached or did not answer (5xx, 429): a later attempt may succeed."""


def configured() -> bool:
    """Whether the service sends through Notify (an API key is set)."""
    return bool(getattr(settings, "NOTIFY_API_KEY", ""))


def check_api_key(api_key: str) -> None:
    """Raises ImproperlyConfigured unless the key has Notify's shape, `{name}-{service id}-{secret}`."""
    if not API_KEY.fullmatch(api_key or ""):
        raise ImproperlyConfigured(
            "NOTIFY_API_KEY must be a key from GOV.UK Notify's API integration page: its name, then the service "
            "id and the secret, joined by hyphens."
        )


def base_url() -> str:
    url = getattr(settings, "NOTIFY_BASE_URL", "") or DEFAULT_BASE_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ImproperlyConfigured(f"NOTIFY_BASE_URL must be a scheme and a host only, such as {DEFAULT_BASE_URL}.")
    return f"{parts.scheme}://{parts.netloc}"


def client() -> NotificationsAPIClient:
    """A client for one connection's use (it is not safe to share between threads)."""
    if not configured():
        raise ImproperlyConfigured("Set NOTIFY_API_KEY to send messages through GOV.UK Notify.")
    check_api_key(settings.NOTIFY_API_KEY)
    return NotificationsAPIClient(settings.NOTIFY_API_KEY, base_url=base_url(), timeout=TIMEOUT)


def template_id(kind: str) -> str:
    templates = getattr(settings, "NOTIFY_TEMPLATES", {}) or {}
    if not templates.get(kind):
        raise ImproperlyConfigured(f"NOTIFY_TEMPLATES has no GOV.UK Notify template for messages of kind {kind!r}.")
    return templates[kind]


def _refusal(error: HTTPError, what: str) -> NotifyError:
    """Notify's answer in a sentence: `[{"error": "BadRequestError", "message": "..."}]` becomes its messages."""
    found = error.message
    if isinstance(found, list):
        found = "; ".join(str(item.get("message", item)) if isinstance(item, dict) else str(item) for item in found)
    kind = NotifyRefused if 400 <= error.status_code < 500 and error.status_code != 429 else NotifyUnavailable
    return kind(f"GOV.UK Notify did not take the {what} ({error.status_code}): {found}", status_code=error.status_code)


def _call(what: str, request):
    try:
        return request()
    except HTTPError as error:  # the client's one error for every refusal, timeout and lost connection
        raise _refusal(error, what) from error


def _send_email(api: NotificationsAPIClient, *, address: str, template: str, personalisation: dict, reference: str):
    return _call(
        "e-mail",
        lambda: api.send_email_notification(
            email_address=address,
            template_id=template,
            personalisation=personalisation,
            reference=reference or None,
        ),
    )


# A notification in one of these did not reach its recipient: sending again under its reference is allowed.
FAILED = frozenset(
    {
        "permanent-failure",
        "temporary-failure",
        "technical-failure",
        "validation-failed",
        "virus-scan-failed",
        "cancelled",
    }
)


# A notification in one of these reached its recipient, or is as far as Notify can take it: "sent" is a text to a
# number abroad (no receipt comes back), "received" a letter the printer has.
DELIVERED = frozenset({"delivered", "sent", "received"})
# `statuses` reads at most this many pages of Notify's list (250 notifications each) in one go.
MOST_PAGES = 20


def statuses(wanted: set[str], *, created_after: datetime.datetime) -> dict[str, str]:
    """Notify's status for each of the notifications `wanted` (ids) that it still has: id -> status.

    Reads Notify's list of every notification of the service, newest first, a page (250) a request, each page
    older than the last (`older_than`), and stops at the first of: every one wanted found, a page that reaches
    notifications created before `created_after`, the end of the list, or MOST_PAGES pages. So the requests
    depend on how many messages the service sent since `created_after`, not on how many are wanted."""
    api = client()
    try:
        return _statuses(api, wanted, created_after=created_after)
    finally:
        api.request_session.close()


def _statuses(api: NotificationsAPIClient, wanted: set[str], *, created_after: datetime.datetime) -> dict[str, str]:
    found: dict[str, str] = {}
    older_than = None
    for _ in range(MOST_PAGES):
        answer = _call(
            "question about notifications",
            lambda older_than=older_than: api.get_all_notifications(older_than=older_than),
        )
        page = answer.get("notifications", [])
        found.update({item["id"]: item["status"] for item in page if item.get("id") in wanted})
        if not page or wanted.issubset(found) or not answer.get("links", {}).get("next"):
            return found
        if datetime.datetime.fromisoformat(page[-1]["created_at"]) < created_after:
            return found
        older_than = page[-1]["id"]
    logger.warning("Read %s pages of GOV.UK Notify's notifications; the rest wait for the next time", MOST_PAGES)
    return found


def notification_ids(message) -> str:
    """The ids of the notifications a message went as, separated by spaces (an e-mail sent through
    NotifyEmailBackend, one a recipient; a TextMessage), or "" if it did not go through Notify."""
    ids = list((getattr(message, "notify_ids", None) or {}).values())
    if getattr(message, "notify_id", ""):
        ids.append(message.notify_id)
    return " ".join(dict.fromkeys(ids))


def recipient(notification: dict) -> str:
    """Who a notification went to, written one way: an e-mail address in lower case, a phone number as its
    digits from 07, or "letter" (a precompiled letter's address is inside its PDF)."""
    if notification.get("email_address"):
        return notification["email_address"].strip().lower()
    if notification.get("phone_number"):
        digits = re.sub(r"\D", "", notification["phone_number"])
        return "0" + digits.removeprefix("00").removeprefix("44").removeprefix("0")
    return "letter"


def sent_with_reference(reference: str, *, api: NotificationsAPIClient | None = None) -> dict[str, str]:
    """The notifications Notify has with this reference that have not failed: recipient (see `recipient`) -> id.

    One request: a reference is one outbox row's, so it has a handful of notifications, well inside the first
    page of Notify's answer (250)."""
    answer = _call(
        "question about earlier notifications",
        lambda: (api or client()).get_all_notifications(reference=reference),
    )
    return {
        recipient(notification): notification["id"]
        for notification in answer.get("notifications", [])
        if notification.get("reference") == reference and notification.get("status") not in FAILED
    }


def send_text(phone_number: str, kind: str, personalisation: dict, reference: str) -> str:
    """Sends a text message with the template for `kind`, unless this number already has one under this
    reference. Returns the notification's id."""
    template = template_id(kind)
    api = client()
    earlier = sent_with_reference(reference, api=api) if reference else {}
    if recipient({"phone_number": phone_number}) in earlier:
        return earlier[recipient({"phone_number": phone_number})]
    response = _call(
        "text message",
        lambda: api.send_sms_notification(
            phone_number=phone_number,
            template_id=template,
            personalisation=personalisation or None,
            reference=reference or None,
        ),
    )
    return response["id"]


def send_precompiled_letter(pdf_bytes: bytes, reference: str, postage: str = "second") -> str:
    """Posts a letter we made as a PDF, unless a letter has gone under this reference. Returns the
    notification's id.

    Notify checks the PDF after taking it (A4 pages, the address in the envelope's window, at most 10 pages):
    a letter that fails is not refused here but reaches status "validation-failed" (`delivery_status`)."""
    if postage not in POSTAGE:
        raise ValueError(f"Postage must be one of {', '.join(POSTAGE)}, not {postage!r}.")
    api = client()
    earlier = sent_with_reference(reference, api=api)
    if "letter" in earlier:
        return earlier["letter"]
    response = _call(
        "letter",
        lambda: api.send_precompiled_letter_notification(
            reference=reference, pdf_file=io.BytesIO(pdf_bytes), postage=postage
        ),
    )
    return response["id"]


def delivery_status(notification_id: str) -> str:
    """Notify's status for a notification: "created", "sending", "delivered", "permanent-failure",
    "temporary-failure", "technical-failure"; for letters also "accepted", "received", "validation-failed"..."""
    return _call("question about a notification", lambda: client().get_notification_by_id(notification_id))["status"]


def email_personalisation(message) -> dict:
    """What an e-mail's template is filled in with: its subject and body, and any fields the message adds."""
    extra = dict(getattr(message, "notify_personalisation", None) or {})
    clash = {"subject", "body"} & set(extra)
    if clash:
        raise ValueError(f"notify_personalisation may not set {', '.join(sorted(clash))}: they come from the e-mail.")
    return {"subject": message.subject, "body": message.body, **extra}


def _header(message, name: str) -> str:
    """A header of the message, whatever case its name was written in."""
    for key, value in (message.extra_headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return ""


class NotifyEmailBackend(BaseEmailBackend):
    """Sends Django e-mails through GOV.UK Notify (see the module's docstring). One connection to Notify is
    kept open from open() to close(), as the outbox does for a batch."""

    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.api = None

    def open(self):
        if self.api is not None:
            return False
        try:
            self.api = client()
        except Exception:
            if not self.fail_silently:
                raise
            return False
        return True

    def close(self):
        if self.api is not None:
            self.api.request_session.close()
            self.api = None

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        opened = self.open()
        if self.api is None:  # could not open, and told to fail silently
            return 0
        sent = 0
        try:
            for message in email_messages:
                try:
                    self._send(message)
                except Exception:
                    if not self.fail_silently:
                        raise
                else:
                    sent += 1
        finally:
            if opened:
                self.close()
        return sent

    def _send(self, message) -> None:
        if message.attachments:
            raise ValueError("GOV.UK Notify sends no attachments with an e-mail: send the file as a letter.")
        template = template_id(_header(message, KIND_HEADER) or DEFAULT_KIND)
        personalisation = email_personalisation(message)
        reference = _header(message, "X-Idempotency-Key")
        earlier = sent_with_reference(reference, api=self.api) if reference else {}
        # Filled in as each one goes, so a caller sees which addresses were sent to even if a later one fails.
        message.notify_ids = {}
        for address in message.recipients():
            if recipient({"email_address": address}) in earlier:
                message.notify_ids[address] = earlier[recipient({"email_address": address})]
                continue
            response = _send_email(
                self.api, address=address, template=template, personalisation=personalisation, reference=reference
            )
            message.notify_ids[address] = response["id"]


class TextMessage:
    """A text message the outbox sends as it sends an e-mail (phb.outbox calls `send()` after stamping
    `extra_headers` with the row's idempotency key): through GOV.UK Notify with the template for `kind`, at most
    once under the row's key (send_text asks Notify first). Without Notify there is no way to send one, so it is
    refused, and the outbox keeps the row for the lead with the reason."""

    def __init__(self, phone_number: str, *, kind: str, personalisation: dict):
        self.phone_number = phone_number
        self.kind = kind
        self.personalisation = personalisation
        self.extra_headers: dict[str, str] = {}
        self.connection = None  # an e-mail connection the outbox hands a batch: a text does not use it
        self.notify_id = ""

    def send(self, fail_silently: bool = False) -> int:
        if not configured():
            raise NotifyRefused(
                "Text messages go through GOV.UK Notify, which is not set up here (NOTIFY_API_KEY). Ask the person "
                "for an email address, or set up Notify, then choose Try again",
                status_code=400,
            )
        reference = self.extra_headers.get("X-Idempotency-Key", "")
        self.notify_id = send_text(self.phone_number, self.kind, self.personalisation, reference)
        return 1
