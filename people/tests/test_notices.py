"""Notices to the person (people.notices): each event writes one, in its own transaction, and it reaches the
person the way they chose, through GOV.UK Notify (tests/notify_api.py, a stand-in on 127.0.0.1 that checks each
request as Notify does; nothing patched in the code under test), or nothing when they said no."""

import datetime
import os
import uuid
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from budgets import services as budget_services
from budgets.tests.factories import add_service, make_assessment, make_eligible
from careplans import approval, services
from careplans.models import PlanVersion, Status
from careplans.tests.factories import approved_change, approved_plan, budgeted, complete_plan
from conftest import start_celery_worker, wait_for
from people import notices
from people.contact import TEXT_KIND
from people.models import ContactChannel, NoticeKind, Person, PersonNotice
from phb import outbox
from phb.celery import app
from phb.errors import ServiceError
from portal import services as portal_services

NOTIFY = "phb.notify.NotifyEmailBackend"
MOBILE = "07700 900982"
REPLY = "Your physio appointment on Tuesday has moved to 3pm"


def chose(person, channel, *, phone=MOBILE, email="jane@example.com", wants=True):
    Person.objects.filter(pk=person.pk).update(
        wants_review_reminders=wants, contact_by=channel, phone=phone, email=email
    )


def kinds(person):
    return sorted(PersonNotice.objects.filter(person=person).values_list("kind", flat=True))


def submitted(jane, alice):
    return services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)


def email_settings(notify_api):
    """Notify set up for notices: the blank e-mail template, and the text template of ((body))."""
    email = notify_api.template("email", "subject", "body")
    text = notify_api.template("sms", "body")
    return email, text, {"EMAIL_BACKEND": NOTIFY, **notify_api.settings(**{"person-notice": email, TEXT_KIND: text})}


# Each event writes exactly one notice.


@pytest.mark.django_db
def test_it_writes_one_notice_when_a_budget_needing_no_sign_off_is_worked_out(jane, alice):
    version = budgeted(person=jane, coordinator=alice)
    [notice] = PersonNotice.objects.filter(person=jane)
    assert (notice.kind, notice.about) == (NoticeKind.BUDGET_TOLD, str(version.pk))


@pytest.mark.django_db
def test_it_tells_the_person_of_a_budget_needing_sign_off_only_once_it_is_signed_off(jane, alice, priya):
    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(person=jane, coordinator=alice)
    add_service(assessment=assessment, coordinator=alice)
    version = budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("5000"),
        adjustment_reason="Night support",
        council_share_means_tested=False,
        acting_user=alice,
    )
    assert kinds(jane) == []  # waiting for sign-off: the person may not be told yet
    budget_services.budget_version_sign_off(version=version, approve=True, note="", acting_user=priya)
    assert kinds(jane) == [NoticeKind.BUDGET_TOLD]
    with pytest.raises(budget_services.AlreadySignedOffError):
        budget_services.budget_version_sign_off(version=version, approve=True, note="", acting_user=priya)
    assert kinds(jane) == [NoticeKind.BUDGET_TOLD]


@pytest.mark.django_db
def test_it_writes_nothing_for_a_budget_the_team_returns(jane, alice, priya):
    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(person=jane, coordinator=alice)
    add_service(assessment=assessment, coordinator=alice)
    version = budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("5000"),
        adjustment_reason="Night support",
        council_share_means_tested=False,
        acting_user=alice,
    )
    budget_services.budget_version_sign_off(version=version, approve=False, note="Check hours", acting_user=priya)
    assert kinds(jane) == []


@pytest.mark.django_db
def test_it_writes_one_notice_when_a_plan_is_approved_and_none_more_when_it_is_approved_again(jane, alice, priya):
    version = submitted(jane, alice)
    approval.plan_approve(version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya)
    with pytest.raises(approval.AlreadyDecidedError):
        approval.plan_approve(
            version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
        )
    notice = PersonNotice.objects.get(kind=NoticeKind.PLAN_APPROVED)
    assert notice.about == str(version.pk) and notice.details == {"starts": "1 April 2026"}
    # It started at once (1 April 2026 has passed): the approval's notice says when, so no second one.
    assert PlanVersion.objects.get(pk=version.pk).status == Status.ACTIVE
    assert kinds(jane) == [NoticeKind.BUDGET_TOLD, NoticeKind.PLAN_APPROVED]


@pytest.mark.django_db
def test_it_writes_one_notice_when_a_plan_starts_on_its_start_date(jane, alice, priya):
    plan = approved_plan(person=jane, coordinator=alice, approver=priya).plan
    start = datetime.date.today() + datetime.timedelta(days=10)
    change = approved_change(plan=plan, coordinator=alice, approver=priya, start=start)
    assert PersonNotice.objects.filter(kind=NoticeKind.PLAN_APPROVED, about=str(change.pk)).exists()
    assert not PersonNotice.objects.filter(kind=NoticeKind.PLAN_STARTING).exists()

    assert approval.activate_due_plans(on=start) == 1
    assert approval.activate_due_plans(on=start) == 0
    [starting] = PersonNotice.objects.filter(kind=NoticeKind.PLAN_STARTING)
    assert starting.about == str(change.pk) and starting.person == jane


@pytest.mark.django_db
def test_it_writes_one_notice_when_a_plan_is_declined_and_none_when_it_is_returned(jane, alice, priya, bob):
    version = submitted(jane, alice)
    approval.plan_return(version=version, reason="Add the costs of the choir", acting_user=priya)
    assert kinds(jane) == [NoticeKind.BUDGET_TOLD]  # returned goes back to the coordinator only

    draft = PlanVersion.objects.filter(plan=version.plan, status=Status.DRAFT).get()
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )
    again = services.plan_submit(version=draft, acting_user=alice)
    approval.plan_decline(version=again, reason="Not a health need", acting_user=priya)
    with pytest.raises(ServiceError):
        approval.plan_decline(version=again, reason="Not a health need", acting_user=priya)
    assert kinds(jane) == [NoticeKind.BUDGET_TOLD, NoticeKind.PLAN_DECLINED]
    assert PersonNotice.objects.get(kind=NoticeKind.PLAN_DECLINED).about == str(again.pk)


@pytest.mark.django_db
def test_it_writes_one_notice_for_each_reply_from_the_care_team_and_none_for_the_persons_own(jane, alice, pat):
    portal_services.message_send(person=jane, body="When is my review?", acting_user=pat)
    assert kinds(jane) == []
    reply = portal_services.message_send(
        person=jane, body=REPLY, acting_user=alice, link_base="https://phb.example.nhs.uk/"
    )
    [notice] = PersonNotice.objects.filter(person=jane)
    assert (notice.kind, notice.about) == (NoticeKind.TEAM_REPLIED, str(reply.pk))
    assert notice.link == f"https://phb.example.nhs.uk{reverse('portal:messages', kwargs={'pk': jane.pk})}"


@pytest.mark.django_db
def test_replies_the_person_has_not_read_yet_write_one_notice_until_they_read_them(client, jane, alice, pat):
    first = portal_services.message_send(person=jane, body=REPLY, acting_user=alice)
    portal_services.message_send(person=jane, body="And bring your diary, please.", acting_user=alice)
    assert list(PersonNotice.objects.values_list("about", flat=True)) == [str(first.pk)]

    client.force_login(pat)
    assert client.get(reverse("portal:messages", kwargs={"pk": jane.pk})).status_code == 200  # read them
    later = portal_services.message_send(person=jane, body="Your review is booked.", acting_user=alice)
    assert sorted(PersonNotice.objects.values_list("about", flat=True)) == sorted([str(first.pk), str(later.pk)])


@pytest.mark.django_db
def test_an_event_written_again_adds_no_second_notice(jane):
    with transaction.atomic():
        first = notices.notice_write(person=jane, kind=NoticeKind.PLAN_DECLINED, about="v-1")
        assert notices.notice_write(person=jane, kind=NoticeKind.PLAN_DECLINED, about="v-1") is None
    assert first is not None and PersonNotice.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # no transaction of the test's own around it
def test_a_notice_is_written_only_in_the_transaction_of_its_event(jane):
    with pytest.raises(ServiceError, match="in the transaction"):
        notices.notice_write(person=jane, kind=NoticeKind.PLAN_DECLINED, about="v-1")
    assert not PersonNotice.objects.exists()


# The notice reaches the person the way they chose.


def write(person, kind, about="x", **values):
    with transaction.atomic():
        return notices.notice_write(person=person, kind=kind, about=about, **values)


@pytest.mark.django_db
def test_an_approved_plan_reaches_the_person_by_email_through_notify_once(notify_api, jane):
    chose(jane, ContactChannel.EMAIL)
    notice = write(jane, NoticeKind.PLAN_APPROVED, details={"starts": "1 April 2026"})
    template, _, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(notice.pk) is True
        assert notices.notice_send(notice.pk) is False

    [sent] = notify_api.accepted
    assert sent.path == "/v2/notifications/email" and sent.body["email_address"] == "jane@example.com"
    assert sent.body["template_id"] == template
    assert sent.body["reference"] == outbox.idempotency_key(notice)
    assert sent.body["personalisation"]["subject"] == "Your care and support plan has been approved"
    body = sent.body["personalisation"]["body"]
    assert body.startswith(f"Dear {jane.full_name},\n\nWe have approved your personalised care and support plan.")
    assert "from 1 April 2026" in body and body.endswith("The personal health budget team")
    assert "sign in" not in body.lower()  # nobody has online access to Jane's records
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.failed_at is None


@pytest.mark.django_db
def test_a_person_who_chose_text_gets_the_notice_by_text(notify_api, jane, pat):
    chose(jane, ContactChannel.TEXT)
    notice = write(jane, NoticeKind.PLAN_STARTING, details={"starts": "1 May 2026"})
    _, text_template, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(notice.pk) is True

    [sent] = notify_api.accepted
    assert sent.path == "/v2/notifications/sms" and sent.body["phone_number"] == MOBILE
    assert sent.body["template_id"] == text_template
    assert sent.body["personalisation"] == {
        "body": "Your personal health budget plan is now in place. Your budget pays for your support from "
        "1 May 2026. You can see your plan when you sign in to the personal health budget service. "
        "From the personal health budget team"
    }
    assert sent.body["reference"] == outbox.idempotency_key(notice)


@pytest.mark.django_db
def test_a_budget_told_and_a_decline_say_what_happened_in_plain_words(notify_api, jane):
    chose(jane, ContactChannel.EMAIL)
    told = write(jane, NoticeKind.BUDGET_TOLD, about="b-1")
    declined = write(jane, NoticeKind.PLAN_DECLINED, about="v-1")
    _, _, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(told.pk) and notices.notice_send(declined.pk)

    first, second = (seen.body["personalisation"] for seen in notify_api.accepted)
    assert first["subject"] == "Your indicative personal health budget"
    assert "We have worked out your indicative personal health budget." in first["body"]
    assert second["subject"] == "A decision about your care and support plan"
    assert "We have not been able to approve your personalised care and support plan as it is." in second["body"]


@pytest.mark.django_db
def test_a_reply_notice_never_carries_the_messages_words(notify_api, jane, alice, pat):
    chose(jane, ContactChannel.EMAIL)
    reply = portal_services.message_send(
        person=jane, body=REPLY, acting_user=alice, link_base="https://phb.example.nhs.uk/"
    )
    notice = PersonNotice.objects.get(about=str(reply.pk))
    _, text_template, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(notice.pk) is True
        chose(jane, ContactChannel.TEXT)
        by_text = write(jane, NoticeKind.TEAM_REPLIED, about="m-2")
        assert notices.notice_send(by_text.pk) is True

    email, text = notify_api.accepted
    words = [email.body["personalisation"]["subject"], email.body["personalisation"]["body"]]
    words.append(text.body["personalisation"]["body"])
    for said in words:
        assert "physio" not in said and "3pm" not in said and REPLY not in said
    page = reverse("portal:messages", kwargs={"pk": jane.pk})
    assert (
        f"Sign in to the personal health budget service to read it and reply: https://phb.example.nhs.uk{page}"
        in (words[1])
    )
    assert words[2] == (
        "Your care team has sent you a message about your personal health budget. Sign in to the personal health "
        "budget service to read it and reply. From the personal health budget team"
    )


@pytest.mark.django_db
def test_a_person_who_said_no_to_contact_gets_nothing_and_the_notice_is_done(notify_api, jane):
    chose(jane, ContactChannel.EMAIL, wants=False)
    notice = write(jane, NoticeKind.PLAN_APPROVED, details={"starts": "1 April 2026"})
    _, _, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(notice.pk) is False

    assert notify_api.requests == []
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.failed_at is None and notice.last_error == ""


@pytest.mark.django_db
def test_text_with_no_mobile_number_waits_on_messages_not_sent_with_the_reason(notify_api, client, jane, leo):
    chose(jane, ContactChannel.TEXT, phone="0113 496 0000")  # a landline: Notify cannot text it
    notice = write(jane, NoticeKind.PLAN_DECLINED, about="v-1")
    _, _, settings = email_settings(notify_api)
    with override_settings(**settings):
        assert notices.notice_send(notice.pk) is False

    assert notify_api.requests == []
    notice.refresh_from_db()
    assert notice.failed_at is not None and notice.sent_at is None
    assert notice.last_error == (
        "NoRecipient: There is no mobile phone number for the person. Add one, then choose Try again"
    )
    client.force_login(leo)
    page = client.get(reverse("careplans:failed_messages")).content.decode()
    assert "Notice to the person: Plan not approved" in page and "No mobile phone number" in page
    assert reverse("careplans:message_retry", kwargs={"kind": "notice", "pk": notice.pk}) in page
    assert ">Notices to people</option>" in page


# Sent exactly once by a real worker.


def sent_notice_tasks(log, *, sent: bool | None = None) -> int:
    """How many notice send tasks the worker finished (only those that sent a message, or sent none, if asked)."""
    lines = [line for line in log.read_text().splitlines() if "send_person_notice[" in line and "succeeded" in line]
    if sent is not None:
        lines = [line for line in lines if line.rstrip().endswith(f": {sent}")]
    return len(lines)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_a_declined_plans_notice_exactly_once(notify_api, tmp_path, jane, alice, priya):
    chose(jane, ContactChannel.TEXT)
    _, text_template, _ = email_settings(notify_api)
    queue = f"phb-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "NOTIFY_API_KEY": notify_api.api_key(),
        "NOTIFY_BASE_URL": notify_api.base_url,
        "NOTIFY_TEMPLATES": f"{TEXT_KIND}={text_template}",
    }
    log = tmp_path / "worker.log"
    previous_queue, app.conf.task_default_queue = app.conf.task_default_queue, queue
    worker = None
    try:
        version = submitted(jane, alice)
        PersonNotice.objects.all().delete()  # the budget's notice: its task, run later, finds no row and sends nothing
        worker = start_celery_worker(queue, env, log)
        # The decision commits, and its notice goes to the worker after it.
        approval.plan_decline(version=version, reason="Not a health need", acting_user=priya)
        notice = PersonNotice.objects.get(kind=NoticeKind.PLAN_DECLINED)
        assert wait_for(lambda: PersonNotice.objects.get(pk=notice.pk).sent_at is not None), log.read_text()
        # The task that sent it has finished (its line in the log comes just after the row is marked sent).
        assert wait_for(lambda: sent_notice_tasks(log, sent=True) == 1), log.read_text()
        done = sent_notice_tasks(log)
        # Handed over again (say a copy of a lost task), and swept: nothing more goes.
        notices.notice_queue(notice.pk)
        assert notices.queue_due().queued == 0
        assert wait_for(lambda: sent_notice_tasks(log) == done + 1), log.read_text()
    finally:
        app.conf.task_default_queue = previous_queue
        if worker is not None:
            worker.kill()
            worker.wait(timeout=10)

    [text] = [seen for seen in notify_api.accepted if seen.path == "/v2/notifications/sms"]
    assert text.body["phone_number"] == MOBILE and text.body["template_id"] == text_template
    assert text.body["reference"] == outbox.idempotency_key(notice)
    assert text.body["personalisation"]["body"].startswith("We have not been able to approve your personal health")
    assert len(notify_api.notifications) == 1
    assert PersonNotice.objects.get(pk=notice.pk).attempts == 1
