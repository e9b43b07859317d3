"""Review reminders: each sent exactly once, however often and from however many processes the sweep runs."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection

from careplans import approval, reminders, reviews, services
from careplans.models import Review, ReviewReminder
from careplans.tests.factories import complete_plan

DUE = datetime.date(2026, 6, 15)  # the first review of the plan the factories make


@pytest.fixture
def active(jane, alice, priya, leo):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def send_all():
    return sum(reminders.reminder_send(pk) for pk in ReviewReminder.objects.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (DUE - datetime.timedelta(days=29), []),
        (DUE - datetime.timedelta(days=28), ["coordinator_28"]),
        (DUE - datetime.timedelta(days=7), ["coordinator_7"]),
        (DUE, ["coordinator_due"]),
        (DUE + datetime.timedelta(days=14), ["lead_overdue_14"]),
    ],
)
def test_the_sweep_claims_the_reminders_whose_window_is_open(active, today, kinds):
    reminders.sweep(today=today, queue=False)
    assert sorted(ReviewReminder.objects.values_list("kind", flat=True)) == kinds


@pytest.mark.django_db
def test_running_the_sweep_twice_sends_each_reminder_once(active, mailoutbox, alice, leo):
    for today in [
        DUE - datetime.timedelta(days=28),
        DUE - datetime.timedelta(days=28),
        DUE - datetime.timedelta(days=7),
    ]:
        reminders.sweep(today=today, queue=False)
        send_all()
        send_all()
    assert [m.subject for m in mailoutbox] == ["Review due: Jane Smith", "Review due: Jane Smith"]
    assert all(m.to == [alice.email] for m in mailoutbox)
    assert ReviewReminder.objects.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_the_lead_is_told_when_a_review_is_14_days_overdue(active, mailoutbox, leo):
    reminders.sweep(today=DUE + datetime.timedelta(days=20), queue=False)
    send_all()
    [message] = mailoutbox
    assert message.to == [leo.email]
    assert "14 days overdue" in message.subject


@pytest.mark.django_db
def test_the_person_is_reminded_only_if_they_chose_to_be(active, mailoutbox, jane):
    reminders.sweep(today=DUE - datetime.timedelta(days=20), queue=False)
    assert not ReviewReminder.objects.filter(kind="person_28").exists()
    type(jane).objects.filter(pk=jane.pk).update(wants_review_reminders=True, email="jane@example.com")
    reminders.sweep(today=DUE - datetime.timedelta(days=20), queue=False)
    send_all()
    assert "jane@example.com" in [m.to[0] for m in mailoutbox]


@pytest.mark.django_db
def test_no_reminder_for_a_review_already_done(active, mailoutbox, alice):
    reminders.sweep(today=DUE - datetime.timedelta(days=7), queue=False)
    review = Review.objects.get(plan=active.plan)
    reviews.review_complete(
        review=review,
        acting_user=alice,
        completed_on=datetime.date(2026, 6, 10),
        outcome_progress={str(o.key): ("achieved", "") for o in active.outcomes.all()},
        domain_ratings={},
        money_enough=True,
        money_notes="",
        used_as_planned=True,
        use_notes="",
        safety_notes="",
        satisfaction="satisfied",
        decision="continue",
    )
    assert send_all() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_failed_send_is_kept_and_tried_again_when_its_next_attempt_is_due(active, monkeypatch, mailoutbox):
    from django.core.mail.backends import locmem

    reminders.sweep(today=DUE, queue=False)
    reminder = ReviewReminder.objects.get()

    def smtp_down(self, messages):
        raise ConnectionError("SMTP server not answering")

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", smtp_down)
    assert reminders.reminder_send(reminder.pk) is False
    reminder.refresh_from_db()
    assert (reminder.sent_at, reminder.claimed_at, reminder.failed_at, reminder.attempts) == (None, None, None, 1)
    assert reminder.last_error == "ConnectionError: SMTP server not answering"
    monkeypatch.undo()
    # Not before the wait after a failure is over...
    assert reminders.reminder_send(reminder.pk) is False
    # ...and then it goes.
    with time_machine.travel(reminder.next_attempt_at + datetime.timedelta(seconds=1)):
        assert reminders.reminder_send(reminder.pk) is True
    assert len(mailoutbox) == 1
    assert ReviewReminder.objects.get().attempts == 2


@pytest.mark.django_db
def test_a_claim_left_by_a_worker_that_died_is_taken_again_after_it_expires(active, mailoutbox):
    from django.utils import timezone

    reminders.sweep(today=DUE, queue=False)
    reminder = ReviewReminder.objects.get()
    ReviewReminder.objects.filter(pk=reminder.pk).update(claimed_at=timezone.now())
    assert reminders.reminder_send(reminder.pk) is False
    ReviewReminder.objects.filter(pk=reminder.pk).update(claimed_at=timezone.now() - datetime.timedelta(minutes=11))
    assert reminders.reminder_send(reminder.pk) is True
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_and_two_senders_at_once_send_each_reminder_once(jane, alice, priya, leo, mailoutbox):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    active = approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )
    soon = datetime.date.today() + datetime.timedelta(days=20)
    # Asked five times: one review (a plan has at most one unscheduled review waiting).
    for _ in range(5):
        reviews.review_request(plan=active.plan, reason="health_changed", due_on=soon, acting_user=alice)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            reminders.sweep(today=soon, queue=False)
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
    # The unscheduled review due that day, and the scheduled one long overdue (the lead's reminder).
    assert ReviewReminder.objects.count() == 2
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_the_sweep_keeps_reminders_when_redis_does_not_take_them(active, monkeypatch):
    from careplans import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(tasks.send_review_reminders, "delay", broker_down)
    result = reminders.sweep(today=DUE)
    assert (result.claimed, result.queued, result.queue_failed) == (1, 0, True)
    assert ReviewReminder.objects.filter(sent_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_management_command_runs_the_same_sweep(active, capsys, monkeypatch):
    from django.core.management import call_command

    from careplans import tasks

    queued = []
    monkeypatch.setattr(tasks.send_review_reminders, "delay", lambda ids, queued_at: queued.append(ids))
    monkeypatch.setattr(reminders.timezone, "localdate", lambda: DUE)
    call_command("send_review_reminders")
    assert "1 new reminders claimed, 1 queued for sending." in capsys.readouterr().out
    assert queued == [[ReviewReminder.objects.get().pk]]  # one batch of one
