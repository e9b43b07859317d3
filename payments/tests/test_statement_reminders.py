"""Statement reminders: when a statement is overdue the person is reminded, then their care coordinator 14 days
later, each once, through the outbox, however often and from however many processes the sweep runs."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection

from conftest import wait_for
from payments import flagging, reminders
from payments import statement_services as statement_services
from payments.models import MoneyFlag, StatementReminder, StatementReminderKind
from phb import outbox

# The plan the payments fixtures make is paid every 4 weeks from 1 April 2026: its first period ends on 28 April,
# whose statement is due by 12 May and overdue from 13 May; the second ends on 26 May, overdue from 10 June.
PERIOD_END = datetime.date(2026, 4, 28)
RAISED = datetime.date(2026, 5, 13)
COORDINATOR_DAY = RAISED + datetime.timedelta(days=14)
NEXT_PERIOD_END = datetime.date(2026, 5, 26)
NEXT_RAISED = datetime.date(2026, 6, 10)

PERSON_SUBJECT = "Your personal health budget statement is due"
COORDINATOR_SUBJECT = "Statement overdue: Jo Money"


def flags_on(plan, day):
    """The plan's money flags as the daily refresh keeps them on `day`, from nothing kept before (approving the
    plan kept today's)."""
    MoneyFlag.objects.filter(plan=plan).delete()
    flagging.refresh(plan, on=day)


@pytest.fixture
def plan(active):
    person = active.plan.person
    person.email, person.wants_review_reminders = "jo.money@example.com", True
    person.save()
    return active.plan


@pytest.fixture
def overdue(plan):
    """The statement for the period ending 28 April is overdue: its flag was raised on 13 May."""
    flags_on(plan, RAISED)
    flag = MoneyFlag.objects.get(plan=plan, code="statement_overdue")
    assert (flag.raised_on, flag.period_end) == (RAISED, PERIOD_END)
    return plan


def kinds():
    return sorted(StatementReminder.objects.values_list("kind", flat=True))


def send_all():
    return sum(reminders.reminder_send(pk) for pk in StatementReminder.objects.values_list("pk", flat=True))


def statement_arrives(plan, user, *, received_on):
    statement_services.import_statement(
        plan=plan,
        data=b"Date,Description,Amount\n20/04/2026,ACME CARE LTD,-45.50\n28/04/2026,LEEDS SWIM CLUB,-12.00\n",
        file_name="april.csv",
        acting_user=user,
        received_on=received_on,
    )


# Claiming


@pytest.mark.django_db
def test_nothing_is_claimed_while_no_statement_is_overdue(plan):
    flags_on(plan, RAISED - datetime.timedelta(days=1))
    assert reminders.sweep(today=RAISED - datetime.timedelta(days=1), queue=False).claimed == 0
    assert kinds() == []


@pytest.mark.django_db
def test_the_person_is_reminded_the_day_the_flag_is_raised(overdue):
    result = reminders.sweep(today=RAISED, queue=False)
    assert result.claimed == 1
    reminder = StatementReminder.objects.get()
    assert (reminder.plan, reminder.period_end, reminder.kind) == (overdue, PERIOD_END, StatementReminderKind.PERSON)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (RAISED, ["person"]),
        (COORDINATOR_DAY - datetime.timedelta(days=1), ["person"]),
        (COORDINATOR_DAY, ["coordinator", "person"]),
        (COORDINATOR_DAY + datetime.timedelta(days=5), ["coordinator", "person"]),
    ],
)
def test_the_coordinator_is_reminded_14_days_after_the_flag_was_raised(overdue, today, expected):
    reminders.sweep(today=today, queue=False)
    assert kinds() == expected


@pytest.mark.django_db
def test_running_the_sweep_twice_adds_nothing(overdue):
    assert reminders.sweep(today=RAISED, queue=False).claimed == 1
    assert reminders.sweep(today=RAISED, queue=False).claimed == 0
    assert reminders.sweep(today=COORDINATOR_DAY, queue=False).claimed == 1
    assert reminders.sweep(today=COORDINATOR_DAY, queue=False).claimed == 0
    assert reminders.sweep(today=COORDINATOR_DAY + datetime.timedelta(days=3), queue=False).claimed == 0
    assert kinds() == ["coordinator", "person"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "wants"), [("jo.money@example.com", False), ("", True)], ids=["said no", "no e-mail address"]
)
def test_the_person_is_not_reminded_if_they_said_no_or_have_no_address(plan, email, wants):
    person = plan.person
    person.email, person.wants_review_reminders = email, wants
    person.save()
    flags_on(plan, RAISED)
    assert reminders.sweep(today=RAISED, queue=False).claimed == 0
    # Their coordinator is still told.
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    assert kinds() == ["coordinator"]


@pytest.mark.django_db
def test_a_flag_moved_on_to_the_next_period_waits_14_days_from_that_statement_being_overdue(overdue):
    """The flag keeps the day it was first raised while it stays raised; the coordinator's wait for the later
    period counts from the day its own statement became overdue."""
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    flagging.refresh(overdue, on=NEXT_RAISED)
    flag = MoneyFlag.objects.get(plan=overdue, code="statement_overdue")
    assert (flag.raised_on, flag.period_end) == (RAISED, NEXT_PERIOD_END)
    reminders.sweep(today=NEXT_RAISED, queue=False)
    assert sorted(StatementReminder.objects.values_list("period_end", "kind")) == [
        (PERIOD_END, "coordinator"),
        (PERIOD_END, "person"),
        (NEXT_PERIOD_END, "person"),
    ]
    reminders.sweep(today=NEXT_RAISED + datetime.timedelta(days=13), queue=False)
    assert StatementReminder.objects.filter(period_end=NEXT_PERIOD_END).count() == 1
    reminders.sweep(today=NEXT_RAISED + datetime.timedelta(days=14), queue=False)
    assert StatementReminder.objects.filter(period_end=NEXT_PERIOD_END, kind="coordinator").exists()
    # The reminders about the earlier period, if not sent yet, are no longer needed.
    earlier = reminders.with_details().get(period_end=PERIOD_END, kind="person")
    assert reminders.reminder_message(earlier) is None


# Messages


@pytest.mark.django_db
def test_the_person_is_told_which_period_and_how_to_send_it(overdue):
    reminders.sweep(today=RAISED, queue=False)
    message = reminders.reminder_message(reminders.with_details().get())
    assert message.subject == PERSON_SUBJECT
    assert message.to == ["jo.money@example.com"]
    assert "Dear Jo Money," in message.body
    assert "the period that ended on 28 April 2026" in message.body
    assert "It was due by 12 May 2026." in message.body
    assert '"Your money"' in message.body and "care coordinator" in message.body


@pytest.mark.django_db
def test_the_coordinator_is_told_whose_statement_is_overdue(overdue, alice):
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    message = reminders.reminder_message(reminders.with_details().get(kind="coordinator"))
    assert message.subject == COORDINATOR_SUBJECT
    assert message.to == [alice.email]
    assert "Jo Money's personal health budget account" in message.body
    assert "ended on 28 April 2026 was due by 12 May 2026" in message.body
    assert "Care team: North Leeds community team." in message.body


@pytest.mark.django_db
def test_nothing_is_sent_once_the_statement_has_arrived(overdue, alice):
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    statement_arrives(overdue, alice, received_on=COORDINATOR_DAY)
    flagging.refresh(overdue, on=COORDINATOR_DAY)
    assert not MoneyFlag.objects.filter(plan=overdue, code="statement_overdue").exists()
    for reminder in reminders.with_details():
        assert reminders.reminder_message(reminder) is None
    mail.outbox.clear()
    assert send_all() == 0
    assert mail.outbox == []
    # Done with: nothing waits to be sent or for the PHB team lead.
    assert StatementReminder.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_nothing_goes_to_a_person_who_said_no_after_the_sweep(overdue):
    reminders.sweep(today=RAISED, queue=False)
    overdue.person.wants_review_reminders = False
    overdue.person.save()
    assert reminders.reminder_message(reminders.with_details().get()) is None


@pytest.mark.django_db
def test_a_coordinator_with_no_address_fails_the_reminder_for_the_phb_team_lead(overdue, alice):
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    alice.email = ""
    alice.save()
    reminder = reminders.with_details().get(kind="coordinator")
    with pytest.raises(outbox.NoRecipient, match="There is no email address for the care coordinator"):
        reminders.reminder_message(reminder)
    assert reminders.reminder_send(reminder.pk) is False
    reminder.refresh_from_db()
    assert reminder.failed_at is not None and reminder.sent_at is None
    assert "There is no email address for the care coordinator" in reminder.last_error


@pytest.mark.django_db
def test_the_lead_coordinator_is_told_when_the_plan_names_no_coordinator(overdue, alice, bob, monkeypatch):
    from careplans.models import PlanVersion

    person = overdue.person
    person.lead_coordinator = bob
    person.save()
    reminders.sweep(today=COORDINATOR_DAY, queue=False)
    reminder = reminders.with_details().get(kind="coordinator")
    assert reminders.coordinator(reminder) == alice  # the plan's own coordinator comes first
    # Read as if the version in force named nobody (an agreed version cannot be changed: careplans.triggers).
    in_force = PlanVersion.objects.in_force_for(overdue, on=COORDINATOR_DAY)
    in_force.care_coordinator_id = None
    monkeypatch.setattr(type(PlanVersion.objects), "in_force_for", lambda self, plan, on: in_force)
    assert reminders.coordinator(reminder) == bob


# Sending


@pytest.mark.django_db
def test_each_reminder_is_sent_through_the_outbox_exactly_once(overdue, alice):
    mail.outbox.clear()
    for today in [RAISED, RAISED, COORDINATOR_DAY, COORDINATOR_DAY]:
        reminders.sweep(today=today, queue=False)
        send_all()
        send_all()
    assert sorted(m.subject for m in mail.outbox) == sorted([PERSON_SUBJECT, COORDINATOR_SUBJECT])
    assert {m.subject: m.to for m in mail.outbox} == {
        PERSON_SUBJECT: ["jo.money@example.com"],
        COORDINATOR_SUBJECT: [alice.email],
    }
    assert all(m.extra_headers["X-Idempotency-Key"].startswith("payments.statementreminder-") for m in mail.outbox)
    assert StatementReminder.objects.filter(sent_at__isnull=True).count() == 0
    assert set(StatementReminder.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_batch_the_sweep_queued_sends_each_once(overdue, monkeypatch):
    from payments import tasks

    batches = []
    monkeypatch.setattr(
        tasks.send_statement_reminders, "delay", lambda ids, queued_at: batches.append((ids, queued_at))
    )
    result = reminders.sweep(today=COORDINATOR_DAY)
    assert (result.claimed, result.queued, result.tasks, result.queue_failed) == (2, 2, 1, False)
    assert reminders.sweep(today=COORDINATOR_DAY).queued == 0  # queued already: not queued twice
    mail.outbox.clear()
    [(ids, queued_at)] = batches
    assert tasks.send_statement_reminders(ids, queued_at) == 2
    assert tasks.send_statement_reminders(ids, queued_at) == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_sweep_keeps_reminders_when_redis_does_not_take_them(overdue, monkeypatch):
    from payments import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(tasks.send_statement_reminders, "delay", broker_down)
    result = reminders.sweep(today=RAISED)
    assert (result.claimed, result.queued, result.queue_failed) == (1, 0, True)
    assert StatementReminder.objects.get().queued_at is None


@pytest.mark.django_db
def test_the_management_command_runs_the_same_sweep(overdue, capsys, monkeypatch):
    from django.core.management import call_command

    from payments import tasks

    queued = []
    monkeypatch.setattr(tasks.send_statement_reminders, "delay", lambda ids, queued_at: queued.append(ids))
    monkeypatch.setattr(reminders.timezone, "localdate", lambda: RAISED)
    call_command("send_statement_reminders")
    assert "1 new reminders claimed, 1 queued for sending." in capsys.readouterr().out
    assert queued == [[StatementReminder.objects.get().pk]]


def test_the_beat_sweeps_statement_reminders_every_15_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-statement-reminders"]
    assert entry == {"task": "payments.tasks.sweep_statement_reminders", "schedule": 15 * 60}


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_two_senders_at_once_send_each_reminder_once(overdue):
    mail.outbox.clear()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            reminders.sweep(today=COORDINATOR_DAY, queue=False)
            send_all()
        except Exception as error:  # the test reports any failure below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert kinds() == ["coordinator", "person"]
    assert sorted(m.subject for m in mail.outbox) == sorted([PERSON_SUBJECT, COORDINATOR_SUBJECT])


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_each_statement_reminder_once(celery_worker_process, overdue, alice):
    from payments import tasks

    mail_folder, log = celery_worker_process

    def written():
        """Everything the worker wrote: one file a connection, so a batch's messages share a file."""
        return "".join(found.read_text() for found in mail_folder.iterdir()) if mail_folder.exists() else ""

    assert reminders.sweep(today=COORDINATOR_DAY).queued == 2
    assert wait_for(lambda: StatementReminder.objects.filter(sent_at__isnull=True).count() == 0), log.read_text()
    assert wait_for(lambda: PERSON_SUBJECT in written() and COORDINATOR_SUBJECT in written()), log.read_text()
    # The next sweep finds nothing to claim or send, and asking the worker again sends nothing.
    assert reminders.sweep(today=COORDINATOR_DAY) == reminders.SweepResult(claimed=0, queued=0, queue_failed=False)
    result = tasks.send_statement_reminder.delay(StatementReminder.objects.get(kind="person").pk)
    assert wait_for(lambda: f"[{result.id}] succeeded" in log.read_text()), log.read_text()
    # The plan's approval e-mail went too: only the reminders are counted.
    messages = [m for m in written().split("-" * 79) if PERSON_SUBJECT in m or COORDINATOR_SUBJECT in m]
    assert len(messages) == 2
    assert sum(f"Subject: {PERSON_SUBJECT}" in m and "To: jo.money@example.com" in m for m in messages) == 1
    assert sum(f"Subject: {COORDINATOR_SUBJECT}" in m and f"To: {alice.email}" in m for m in messages) == 1
    assert set(StatementReminder.objects.values_list("attempts", flat=True)) == {1}
