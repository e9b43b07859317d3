"""Messages go out through GOV.UK Notify (phb.notify), tested against a stand-in for Notify's API on
127.0.0.1 that checks every request as Notify does (tests/notify_api.py): the signed token, the template,
each field the template needs, the address or number, and a letter's pages and address. Nothing is patched:
the requests are real, made by Notify's own client library."""

import io
import time
import uuid

import jwt
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.test import override_settings
from pypdf import PdfReader

from careplans import approval, services
from careplans.models import Letter
from careplans.tests.factories import complete_plan
from phb import notify, pdf
from tests.notify_api import ADDRESS_WINDOW, NotifyAPI, address_lines, text_positions

BACKEND = "phb.notify.NotifyEmailBackend"
KEY = "careplans.decisionemail-7-20261201093000123456"


def decision_email(*, to=("alice@example.nhs.uk",), cc=(), kind="decision", **extra_headers) -> EmailMessage:
    headers = {"X-Notify-Kind": kind, "X-Idempotency-Key": KEY, **extra_headers} if kind else {}
    return EmailMessage(
        "Plan approved: Jane Smith",
        "Priya Patel approved Jane Smith's support plan (version 2).",
        "phb-team@example.nhs.uk",
        list(to),
        cc=list(cc),
        headers=headers,
    )


def send(message: EmailMessage, *, fail_silently=False) -> int:
    with get_connection(BACKEND, fail_silently=fail_silently) as connection:
        return connection.send_messages([message])


@pytest.fixture
def blank_email(notify_api):
    """Notify's "blank template": ((subject)) and ((body))."""
    return notify_api.template("email", "subject", "body")


def test_it_sends_an_email_with_the_template_for_its_kind(notify_api, blank_email):
    other = notify_api.template("email", "subject", "body")
    message = decision_email()
    with override_settings(**notify_api.settings(decision=blank_email, reminder=other)):
        assert send(message) == 1

    [request] = notify_api.accepted
    assert request.path == "/v2/notifications/email"
    assert request.body == {
        "email_address": "alice@example.nhs.uk",
        "template_id": blank_email,
        "personalisation": {
            "subject": "Plan approved: Jane Smith",
            "body": "Priya Patel approved Jane Smith's support plan (version 2).",
        },
        "reference": KEY,
    }
    assert message.notify_ids == {"alice@example.nhs.uk": request.answer["id"]}
    assert notify_api.notifications[request.answer["id"]]["reference"] == KEY


def test_it_sends_through_django_mail_when_notify_is_the_email_backend(notify_api, blank_email):
    with override_settings(EMAIL_BACKEND=BACKEND, **notify_api.settings(decision=blank_email)):
        decision_email().send()
    assert [request.body["email_address"] for request in notify_api.accepted] == ["alice@example.nhs.uk"]


def test_it_sends_each_recipient_a_request_of_their_own(notify_api, blank_email):
    message = decision_email(to=("alice@example.nhs.uk", "bob@example.nhs.uk"), cc=("leo@example.nhs.uk",))
    with override_settings(**notify_api.settings(decision=blank_email)):
        assert send(message) == 1
    sent_to = [request.body["email_address"] for request in notify_api.accepted]
    assert sent_to == ["alice@example.nhs.uk", "bob@example.nhs.uk", "leo@example.nhs.uk"]
    assert {request.body["reference"] for request in notify_api.accepted} == {KEY}
    assert set(message.notify_ids) == set(sent_to)
    assert len(set(message.notify_ids.values())) == 3


def test_it_fills_in_the_fields_a_message_adds(notify_api):
    template = notify_api.template("email", "subject", "body", "review_date")
    message = decision_email(kind="reminder")
    with override_settings(**notify_api.settings(reminder=template)):
        with pytest.raises(notify.NotifyRefused, match="Missing personalisation: review_date"):
            send(message)
        message.notify_personalisation = {"review_date": "4 March 2027"}
        assert send(message) == 1
    assert notify_api.accepted[0].body["personalisation"]["review_date"] == "4 March 2027"
    assert len(notify_api.refused) == 1


def test_it_never_lets_added_fields_replace_the_subject_or_body(notify_api, blank_email):
    message = decision_email()
    message.notify_personalisation = {"body": "Something else"}
    with override_settings(**notify_api.settings(decision=blank_email)), pytest.raises(ValueError, match="body"):
        send(message)
    assert notify_api.requests == []


def test_it_raises_when_notify_refuses_the_key(notify_api, blank_email):
    another_secret = notify_api.api_key(secret=str(uuid.uuid4()))
    another_service = f"phb_test-{uuid.uuid4()}-{notify_api.secrets[0]}"
    for key, reason in ((another_secret, "API key not found"), (another_service, "service not found")):
        settings = {**notify_api.settings(decision=blank_email), "NOTIFY_API_KEY": key}
        with override_settings(**settings), pytest.raises(notify.NotifyRefused, match=reason) as refused:
            send(decision_email())
        assert refused.value.status_code == 403
    assert notify_api.accepted == []
    assert [request.answer["errors"][0]["error"] for request in notify_api.refused] == ["AuthError", "AuthError"]


def test_it_does_not_send_again_what_notify_already_has(notify_api, blank_email):
    """The outbox sends a row again when a worker died after Notify took its message: the same reference."""
    with override_settings(**notify_api.settings(decision=blank_email)):
        first = decision_email()
        send(first)
        again = decision_email(to=("alice@example.nhs.uk", "bob@example.nhs.uk"))
        assert send(again) == 1
        assert [request.body["email_address"] for request in notify_api.accepted] == [
            "alice@example.nhs.uk",
            "bob@example.nhs.uk",
        ]
        assert again.notify_ids["alice@example.nhs.uk"] == first.notify_ids["alice@example.nhs.uk"]

        # One that failed (Alice's inbox was full) is sent again when asked; one with another reference is new.
        notify_api.set_status(first.notify_ids["alice@example.nhs.uk"], "temporary-failure")
        send(decision_email(to=("alice@example.nhs.uk", "bob@example.nhs.uk")))
        send(decision_email(**{"X-Idempotency-Key": "careplans.decisionemail-8-20261201093000123456"}))
    sent_to = [request.body["email_address"] for request in notify_api.accepted]
    assert sent_to == ["alice@example.nhs.uk", "bob@example.nhs.uk", "alice@example.nhs.uk", "alice@example.nhs.uk"]


def test_it_does_not_send_a_text_or_a_letter_twice_under_one_reference(notify_api):
    template = notify_api.template("sms", "review_date")
    with override_settings(**notify_api.settings(review=template)):
        text = notify.send_text("07700 900 123", "review", {"review_date": "4 March 2027"}, KEY)
        assert notify.send_text("+44 7700 900123", "review", {"review_date": "4 March 2027"}, KEY) == text
        letter = notify.send_precompiled_letter(window_letter(), reference=KEY)
        assert notify.send_precompiled_letter(window_letter(), reference=KEY) == letter
    assert [request.path for request in notify_api.accepted] == ["/v2/notifications/sms", "/v2/notifications/letter"]


def test_it_swallows_a_refusal_when_told_to_fail_silently(notify_api, blank_email):
    with override_settings(
        **{**notify_api.settings(decision=blank_email), "NOTIFY_API_KEY": notify_api.api_key(secret=str(uuid.uuid4()))}
    ):
        assert send(decision_email(), fail_silently=True) == 0
    assert len(notify_api.refused) == 1


def test_it_raises_a_transient_error_when_notify_does_not_answer(blank_email):
    gone = NotifyAPI().start()
    gone.stop()
    with override_settings(**gone.settings(decision=blank_email)):
        with pytest.raises(notify.NotifyUnavailable) as unavailable:
            send(decision_email())
        assert send(decision_email(), fail_silently=True) == 0
    assert unavailable.value.status_code == 503


def test_it_raises_for_an_address_notify_cannot_send_to(notify_api, blank_email):
    settings = notify_api.settings(decision=blank_email)
    with override_settings(**settings), pytest.raises(notify.NotifyRefused, match="valid email") as refused:
        send(decision_email(to=("alice@example",)))
    assert refused.value.status_code == 400
    assert notify_api.accepted == []


def test_it_raises_for_a_template_notify_does_not_have(notify_api):
    settings = notify_api.settings(decision=str(uuid.uuid4()))
    with override_settings(**settings), pytest.raises(notify.NotifyRefused, match="Template not found"):
        send(decision_email())


def test_it_refuses_a_kind_with_no_template_before_asking_notify(notify_api, blank_email):
    with override_settings(**notify_api.settings(decision=blank_email)):
        with pytest.raises(ImproperlyConfigured, match="'reminder'"):
            send(decision_email(kind="reminder"))
        with pytest.raises(ImproperlyConfigured, match="'default'"):
            send(decision_email(kind=None))
    with override_settings(**notify_api.settings(default=blank_email)):
        assert send(decision_email(kind=None)) == 1
    assert len(notify_api.requests) == 1


def test_the_stand_in_refuses_a_token_from_a_clock_more_than_30_seconds_out(notify_api, blank_email):
    """The checker itself can fail: a token signed with the right secret but issued a minute ago is refused."""
    url = f"{notify_api.base_url}/v2/notifications/email"
    body = {
        "email_address": "alice@example.nhs.uk",
        "template_id": blank_email,
        "personalisation": {"subject": "s", "body": "b"},
    }
    for issued, status in ((time.time() - 60, 403), (time.time() + 60, 403), (time.time(), 201)):
        token = jwt.encode({"iss": notify_api.service_id, "iat": int(issued)}, notify_api.secrets[0], algorithm="HS256")
        answer = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == status
    assert notify_api.refused[0].answer["errors"][0]["message"].startswith("Error: Your system clock")
    assert requests.post(url, json=body, timeout=5).status_code == 401


def test_it_sends_a_text_message(notify_api):
    template = notify_api.template("sms", "review_date")
    with override_settings(**notify_api.settings({"review-28-days": template})):
        notification_id = notify.send_text("07700 900 123", "review-28-days", {"review_date": "4 March 2027"}, KEY)
        with pytest.raises(notify.NotifyRefused, match="Not a UK mobile number"):
            notify.send_text("0113 496 0000", "review-28-days", {"review_date": "4 March 2027"}, KEY)
        with pytest.raises(notify.NotifyRefused, match="Missing personalisation: review_date"):
            notify.send_text("07700 900 123", "review-28-days", {}, "another-reference")
    [request] = notify_api.accepted
    assert request.path == "/v2/notifications/sms"
    assert request.body["template_id"] == template
    assert request.body["reference"] == KEY
    assert request.answer["id"] == notification_id


def test_it_will_not_send_a_text_with_an_email_template(notify_api, blank_email):
    refused = pytest.raises(notify.NotifyRefused, match="email template is not suitable for sms notification")
    with override_settings(**notify_api.settings(decision=blank_email)), refused:
        notify.send_text("07700900123", "decision", {"subject": "s", "body": "b"}, KEY)


def test_it_reads_the_delivery_status_back(notify_api, blank_email):
    with override_settings(**notify_api.settings(decision=blank_email)):
        message = decision_email()
        send(message)
        [notification_id] = message.notify_ids.values()
        assert notify.delivery_status(notification_id) == "created"
        notify_api.set_status(notification_id, "delivered")
        assert notify.delivery_status(notification_id) == "delivered"
        notify_api.set_status(notification_id, "permanent-failure")
        assert notify.delivery_status(notification_id) == "permanent-failure"


# Letters. A page in the letter's own style, with the address placed where Notify's envelope window is.
WINDOW_LETTER = """<html><head><style>
@page {{ size: {size}; margin: 0 }}
body {{ margin: 0; font-family: Arial, "Liberation Sans", sans-serif; font-size: 11pt; line-height: 1.2 }}
.address {{ position: absolute; left: 30mm; top: 42mm }}
.body {{ position: absolute; left: 20mm; top: 100mm; width: 170mm }}
.page {{ break-before: page; height: 1px }}
</style></head><body>
<div class="address">Jane Smith<br>1 High Street<br>Leeds<br>LS1 1AA</div>
<div class="body"><p>Dear Jane Smith,</p><p>We have approved your personal health budget.</p></div>
<div class="page-1"></div>{pages}
</body></html>"""


def window_letter(*, size="A4", pages=1) -> bytes:
    content = pdf.html_to_pdf(WINDOW_LETTER.format(size=size, pages='<div class="page"></div>' * (pages - 1)))
    assert len(PdfReader(io.BytesIO(content)).pages) == pages
    return content


def letter_status(notify_api, content: bytes) -> tuple[str, list[str]]:
    notification_id = notify.send_precompiled_letter(content, reference=KEY)
    return notify.delivery_status(notification_id), notify_api.failures[notification_id]


def test_a_letter_with_its_address_in_the_window_is_accepted(notify_api):
    content = window_letter()
    with override_settings(**notify_api.settings()):
        assert letter_status(notify_api, content) == ("accepted", [])
    [request] = notify_api.accepted
    assert request.path == "/v2/notifications/letter"
    assert request.answer == {"id": request.answer["id"], "reference": KEY, "postage": "second"}
    assert address_lines(content) == ["Jane Smith", "1 High Street", "Leeds", "LS1 1AA"]


def test_a_letter_not_on_a4_paper_fails_notifys_checks(notify_api):
    with override_settings(**notify_api.settings()):
        assert letter_status(notify_api, window_letter(size="letter")) == (
            "validation-failed",
            ["letter-not-a4-portrait-oriented"],
        )
        assert letter_status(notify_api, window_letter(size="A4 landscape")) == (
            "validation-failed",
            ["letter-not-a4-portrait-oriented"],
        )
        assert letter_status(notify_api, window_letter(pages=11)) == ("validation-failed", ["letter-too-long"])
        assert letter_status(notify_api, window_letter(pages=10))[0] == "accepted"


def test_a_letter_that_is_not_a_pdf_is_refused(notify_api):
    with override_settings(**notify_api.settings()):
        with pytest.raises(notify.NotifyRefused, match="not a valid PDF"):
            notify.send_precompiled_letter(b"Dear Jane", reference=KEY)
        with pytest.raises(ValueError, match="Postage"):
            notify.send_precompiled_letter(window_letter(), reference=KEY, postage="carrier pigeon")
    assert notify_api.accepted == []


def test_the_services_own_decision_letter_is_printed_by_notify(notify_api, jane, alice, priya):
    """A decline letter as the service makes it (templates/letters/base.html): Notify reads the person's name and
    address, and nothing else, in its window (24.6 to 120 mm from the left, 39.5 to 66.3 mm from the top), finds
    no text outside the areas it prints, and takes the letter. Every other kind of letter:
    phb/tests/test_letters_fit_notify.py."""
    declined = approval.plan_decline(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        reason="Link the gym to an outcome.",
        acting_user=priya,
    )
    content = bytes(Letter.objects.get(plan_version=declined).pdf)
    address = [jane.full_name, jane.address_line_1, jane.town, jane.postcode]
    assert address_lines(content) == [" ".join(line.split()) for line in address]  # as HTML prints it, on one line
    name, *_ = (line for line in text_positions(content) if line[0] == jane.full_name)
    assert ADDRESS_WINDOW.left < name[1] and ADDRESS_WINDOW.top < name[2]  # not only within the 1 mm Notify allows
    with override_settings(**notify_api.settings()):
        assert letter_status(notify_api, content) == ("accepted", [])
    assert notify_api.accepted[0].path == "/v2/notifications/letter"


def test_the_stand_in_reads_addresses_and_positions_from_real_pdfs():
    """The window check can fail and pass: the same address, moved 10 mm left, is no longer read."""
    assert address_lines(window_letter()) == ["Jane Smith", "1 High Street", "Leeds", "LS1 1AA"]
    moved = pdf.html_to_pdf(WINDOW_LETTER.format(size="A4", pages="").replace("left: 30mm", "left: 20mm"))
    assert address_lines(moved) == []


def test_it_knows_whether_notify_is_configured(notify_api):
    with override_settings(NOTIFY_API_KEY=""):
        assert not notify.configured()
        with pytest.raises(ImproperlyConfigured, match="NOTIFY_API_KEY"):
            notify.client()
    with override_settings(**notify_api.settings()):
        assert notify.configured()
    with override_settings(NOTIFY_API_KEY="not-a-key"), pytest.raises(ImproperlyConfigured, match="API integration"):
        notify.client()
    with_path = {**notify_api.settings(), "NOTIFY_BASE_URL": f"{notify_api.base_url}/v2"}
    with override_settings(**with_path), pytest.raises(ImproperlyConfigured, match="NOTIFY_BASE_URL"):
        notify.client()
