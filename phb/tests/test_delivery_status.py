"""Whether a message arrived, read back from GOV.UK Notify onto its outbox row (phb.delivery, by polling): a text or
e-mail Notify could not deliver is failed with the reason in plain English and waits on the PHB team lead's
"Messages not sent" page, where "Try again" sends it again. Against tests/notify_api.py, which answers as Notify
does (nothing patched in the code under test)."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from careplans import approval, emails, reminders, services
from careplans.models import DecisionEmail, PlanEvent, ReviewReminder, Status
from careplans.tests.factories import complete_plan
from people.contact import TEXT_KIND
from people.models import ContactChannel, Person
from phb import delivery, outbox
from phb.tasks import poll_delivery_status

pytestmark = pytest.mark.django_db

NOTIFY = "phb.notify.NotifyEmailBackend"
LIST = reverse("careplans:failed_messages")
SWEPT = datetime.date(2026, 6, 15) - datetime.timedelta(days=20)  # inside the person's 28-day reminder window
MOBILE = "07700 900982"
PERMANENT = (
    "Not delivered. The email address or phone number is wrong, or the phone has been switched off for a long time "
    "(GOV.UK Notify: permanent failure). Check the person's details, then choose Try again."
)


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


@pytest.fixture
def notify(notify_api):
    """Settings that send e-mails and texts through the stand-in."""
    kinds = {
        "decision": notify_api.template("email", "subject", "body"),
        TEXT_KIND: notify_api.template("sms", "body"),
    }
    with override_settings(EMAIL_BACKEND=NOTIFY, **notify_api.settings(**kinds)):
        yield notify_api


def decision_email(version, n=0) -> DecisionEmail:
    event = PlanEvent.objects.create(plan_version=version, from_status=Status.SUBMITTED, to_status=Status.APPROVED)
    return DecisionEmail.objects.create(
        event=event,
        to=f"alice{n}@example.nhs.uk",
        subject="Plan approved for Jane Smith",
        body="The plan was approved.",
    )


def sent_text(jane) -> ReviewReminder:
    """Jane chose text messages: her 28-day review reminder goes to her phone through Notify."""
    Person.objects.filter(pk=jane.pk).update(wants_review_reminders=True, contact_by=ContactChannel.TEXT, phone=MOBILE)
    reminders.sweep(today=SWEPT, queue=False)
    row = ReviewReminder.objects.get(kind="person_28")
    assert reminders.reminder_send(row.pk) is True
    row.refresh_from_db()
    return row


def texts(api):
    return [seen for seen in api.accepted if seen.path == "/v2/notifications/sms"]


def test_an_email_and_a_text_sent_through_notify_keep_their_notification_ids(notify, active, jane):
    email = decision_email(active)
    assert emails.decision_email_send(email.pk) is True
    text = sent_text(jane)

    email.refresh_from_db()
    [sent_email] = [seen for seen in notify.accepted if seen.path == "/v2/notifications/email"]
    [sent_sms] = texts(notify)
    assert email.notify_id == sent_email.answer["id"]
    assert text.notify_id == sent_sms.answer["id"]
    assert (email.delivered_at, email.undelivered, text.delivered_at, text.undelivered) == (None, "", None, "")


def test_an_email_sent_by_a_mail_server_keeps_no_notification_id(active, mailoutbox):
    email = decision_email(active)
    assert emails.decision_email_send(email.pk) is True
    email.refresh_from_db()
    assert len(mailoutbox) == 1 and email.sent_at is not None and email.notify_id == ""


def test_the_poll_marks_a_delivered_text_delivered_and_asks_no_more(notify, active, jane):
    row = sent_text(jane)
    assert delivery.poll() == delivery.Polled(asked=1, delivered=0, undelivered=0)  # still on its way

    notify.set_status(row.notify_id, "delivered")
    assert delivery.poll() == delivery.Polled(asked=1, delivered=1, undelivered=0)
    row.refresh_from_db()
    assert row.delivered_at is not None and row.sent_at is not None and row.failed_at is None
    delivered_at = row.delivered_at

    requests = len(notify.requests)
    assert delivery.poll() == delivery.NOTHING  # nothing left to ask about: Notify is not asked
    assert len(notify.requests) == requests
    row.refresh_from_db()
    assert row.delivered_at == delivered_at


def test_a_permanent_failure_fails_the_row_in_plain_english_on_the_leads_page(notify, client, leo, active, jane):
    row = sent_text(jane)
    notify.set_status(row.notify_id, "permanent-failure")

    assert poll_delivery_status() == {"asked": 1, "delivered": 0, "undelivered": 1}  # as Celery beat runs it
    row.refresh_from_db()
    assert row.undelivered == "permanent-failure" and row.last_error == PERMANENT
    assert row.failed_at is not None and row.sent_at is None and row.delivered_at is None

    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert PERMANENT.replace("'", "&#x27;") in page
    assert reverse("careplans:message_retry", kwargs={"kind": "reminder", "pk": row.pk}) in page

    # Polling again changes nothing: the failure is recorded once.
    failed_at = row.failed_at
    assert delivery.poll() == delivery.NOTHING
    row.refresh_from_db()
    assert (row.failed_at, row.undelivered, row.last_error) == (failed_at, "permanent-failure", PERMANENT)


def test_try_again_sends_an_undelivered_text_again_and_clears_the_failure(
    notify, client, leo, active, jane, django_capture_on_commit_callbacks, monkeypatch
):
    row = sent_text(jane)
    first = row.notify_id
    notify.set_status(first, "permanent-failure")
    delivery.poll()

    handed = []
    monkeypatch.setattr(emails.OUTBOXES["reminder"].task, "delay", handed.append)
    client.force_login(leo)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("careplans:message_retry", kwargs={"kind": "reminder", "pk": row.pk}))
    assert handed == [row.pk]
    row.refresh_from_db()
    assert (row.failed_at, row.sent_at, row.undelivered, row.notify_id, row.attempts) == (None, None, "", "", 0)

    assert reminders.reminder_send(row.pk) is True  # what the worker does with the task
    row.refresh_from_db()
    assert len(texts(notify)) == 2  # the old one failed, so the same reference may be sent again
    assert row.notify_id not in ("", first) and row.sent_at is not None and row.undelivered == ""

    notify.set_status(row.notify_id, "delivered")
    assert delivery.poll() == delivery.Polled(asked=1, delivered=1, undelivered=0)


def test_rows_sent_over_a_week_ago_or_not_through_notify_are_not_asked_about(notify, active, jane, settings):
    old = sent_text(jane)
    notify.set_status(old.notify_id, "permanent-failure")
    ReviewReminder.objects.filter(pk=old.pk).update(sent_at=timezone.now() - datetime.timedelta(days=7, minutes=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # a mail server: no notification id
    by_mail = decision_email(active)
    assert emails.decision_email_send(by_mail.pk) is True

    requests = len(notify.requests)
    assert delivery.poll() == delivery.NOTHING
    assert len(notify.requests) == requests
    old.refresh_from_db()
    by_mail.refresh_from_db()
    assert (old.failed_at, old.undelivered, by_mail.delivered_at) == (None, "", None)


def test_the_poll_reads_many_rows_in_a_bounded_number_of_requests(
    notify, jane, alice, monkeypatch, django_assert_max_num_queries
):
    # Notify lists 250 notifications a page; here 10, read back through `older_than` as Notify does, so 30 e-mails
    # take several pages. The stand-in lists everything on one page, so its listing is paged here.
    page_size = 10
    whole_list = notify._list

    def paged(query):
        if "reference=" in query:  # the look-up before each e-mail is sent: one page as it is
            return whole_list(query)
        answer = whole_list("")
        everything = answer["notifications"]
        older_than = dict(part.split("=", 1) for part in query.split("&") if "=" in part).get("older_than")
        start = next(i + 1 for i, item in enumerate(everything) if item["id"] == older_than) if older_than else 0
        page = everything[start : start + page_size]
        links = {"current": "…"} | ({"next": "…"} if start + page_size < len(everything) else {})
        return {"notifications": page, "links": links}

    monkeypatch.setattr(notify, "_list", paged)
    version = complete_plan(person=jane, coordinator=alice)
    rows = [decision_email(version, n) for n in range(30)]
    for row in rows:
        assert emails.decision_email_send(row.pk) is True
    ids = list(DecisionEmail.objects.filter(pk__in=[row.pk for row in rows]).values_list("notify_id", flat=True))
    assert len(set(ids)) == 30 and "" not in ids
    for notification in ids:
        notify.set_status(notification, "delivered")
    notify.set_status(ids[0], "temporary-failure")

    before = len(notify.requests)
    with django_assert_max_num_queries(2 * len(delivery.outbox_models()) + 1):
        polled = delivery.poll()
    listing = [seen for seen in notify.requests[before:] if seen.method == "GET"]
    assert polled == delivery.Polled(asked=30, delivered=29, undelivered=1)
    # Three pages hold the 30 notifications: one request a page, whatever the number of rows.
    assert len(listing) == 3 and all(seen.path.startswith("/v2/notifications") for seen in listing)
    assert DecisionEmail.objects.filter(delivered_at__isnull=False).count() == 29
    assert DecisionEmail.objects.get(notify_id=ids[0]).undelivered == "temporary-failure"


def test_a_notification_with_an_unknown_failure_status_still_fails_in_plain_words():
    assert delivery.wording("permanent-failure") == PERMANENT
    assert delivery.wording("returned-letter") == (
        "Not delivered. GOV.UK Notify could not deliver it (status: returned-letter). Choose Try again."
    )
    assert delivery.outcome(["delivered", None]) is None
    assert delivery.outcome(["delivered", "permanent-failure"]) == "permanent-failure"
    assert delivery.outcome(["delivered", "delivered"]) == "delivered"
    assert outbox.OutboxRow in {base for model in delivery.outbox_models() for base in model.__mro__}


def test_an_email_to_very_many_people_keeps_as_many_whole_ids_as_the_row_holds():
    ids = " ".join(f"{n:08d}-0000-4000-8000-000000000000" for n in range(40))
    kept = outbox._fitted(ids)
    assert len(kept) <= 1000 and kept.split() == ids.split()[:27]
    assert outbox._fitted("") == ""
