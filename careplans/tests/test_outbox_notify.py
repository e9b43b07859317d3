"""The outbox sends through GOV.UK Notify when it is configured: each row with its kind's template, once, under
its idempotency key as Notify's reference; a message Notify refuses fails at once. Against tests/notify_api.py, a
stand-in on 127.0.0.1 that checks each request as Notify does (nothing patched)."""

import pytest
from django.test import override_settings

from careplans import emails
from careplans.models import DecisionEmail, PlanEvent, Status
from careplans.tests.factories import complete_plan
from phb import outbox

NOTIFY = "phb.notify.NotifyEmailBackend"


@pytest.fixture
def row(jane, alice):
    version = complete_plan(person=jane, coordinator=alice)
    event = PlanEvent.objects.create(plan_version=version, from_status=Status.SUBMITTED, to_status=Status.APPROVED)
    return DecisionEmail.objects.create(
        event=event, to="alice@example.nhs.uk", subject="Plan approved for Jane Smith", body="The plan was approved."
    )


def test_a_decision_email_goes_through_notify_with_the_decision_template_once(notify_api, row):
    decision = notify_api.template("email", "subject", "body")
    other = notify_api.template("email", "subject", "body")
    with override_settings(EMAIL_BACKEND=NOTIFY, **notify_api.settings(decision=decision, default=other)):
        assert emails.decision_email_send(row.pk) is True
        assert emails.decision_email_send(row.pk) is False  # sent: asking again sends nothing

    [request] = notify_api.accepted
    assert request.body["template_id"] == decision
    assert request.body["email_address"] == "alice@example.nhs.uk"
    assert request.body["personalisation"] == {
        "subject": "Plan approved for Jane Smith",
        "body": "The plan was approved.",
    }
    assert request.body["reference"] == outbox.idempotency_key(row)
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1


def test_a_message_notify_refuses_fails_at_once_and_waits_for_the_lead(notify_api, row):
    # The decision template needs a field the message does not give: Notify answers 400, and no retry could help.
    decision = notify_api.template("email", "subject", "body", "plan_link")
    with override_settings(EMAIL_BACKEND=NOTIFY, **notify_api.settings(decision=decision)):
        assert emails.decision_email_send(row.pk) is False

    assert notify_api.accepted == [] and len(notify_api.refused) == 1
    row.refresh_from_db()
    assert row.sent_at is None and row.failed_at is not None and row.attempts == 1
    assert row.last_error.startswith("NotifyRefused: ") and "plan_link" in row.last_error
