"""The review schedule and the reminder windows, table-tested, with the clock moved by time-machine."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from careplans.schedule import (
    TO_PERSON,
    ReminderKind,
    first_review_due,
    next_review_due,
    reminders_due,
    unscheduled_review_due,
)

D = datetime.date


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (D(2026, 4, 1), D(2026, 7, 1)),
        (D(2026, 11, 30), D(2027, 2, 28)),  # no 30 February: the month's last day
        (D(2027, 11, 30), D(2028, 2, 29)),  # a leap year has 29 February
        (D(2026, 12, 31), D(2027, 3, 31)),  # across a year end
        (D(2028, 2, 29), D(2028, 5, 29)),
        (D(2026, 1, 31), D(2026, 4, 30)),
    ],
)
def test_the_first_review_is_due_three_months_after_the_start(start, due):
    assert first_review_due(start) == due


@pytest.mark.parametrize(
    ("completed", "due"),
    [
        (D(2026, 6, 15), D(2027, 6, 15)),
        (D(2028, 2, 29), D(2029, 2, 28)),  # from 29 February to a year without one
        (D(2027, 9, 10), D(2028, 9, 10)),  # completed late: the year runs from completion
        (D(2026, 5, 1), D(2027, 5, 1)),  # completed early: likewise
    ],
)
def test_each_next_review_is_due_twelve_months_after_the_last_was_completed(completed, due):
    assert next_review_due(completed) == due


def test_the_intervals_are_configurable():
    assert first_review_due(D(2026, 4, 1), within_months=2) == D(2026, 6, 1)
    assert next_review_due(D(2026, 4, 1), interval_months=6) == D(2026, 10, 1)


@pytest.mark.parametrize(
    ("requested", "days", "due"),
    [(D(2026, 12, 24), 14, D(2027, 1, 7)), (D(2028, 2, 20), 14, D(2028, 3, 5)), (D(2026, 3, 1), 3, D(2026, 3, 4))],
)
def test_an_unscheduled_review_gets_its_own_due_date(requested, days, due):
    assert unscheduled_review_due(requested, days=days) == due


DUE = D(2026, 3, 1)  # 28 days before is 1 February; 7 days before is 22 February


@pytest.mark.parametrize(
    ("today", "kinds"),
    [
        (D(2026, 1, 31), []),
        (D(2026, 2, 1), [ReminderKind.COORDINATOR_28_DAYS]),
        (D(2026, 2, 21), [ReminderKind.COORDINATOR_28_DAYS]),
        (D(2026, 2, 22), [ReminderKind.COORDINATOR_7_DAYS]),
        (D(2026, 3, 1), [ReminderKind.COORDINATOR_DUE]),
        (D(2026, 3, 14), [ReminderKind.COORDINATOR_DUE]),
        (D(2026, 3, 15), [ReminderKind.LEAD_OVERDUE]),
        (D(2027, 1, 1), [ReminderKind.LEAD_OVERDUE]),
    ],
)
def test_each_reminder_has_its_window(today, kinds):
    assert reminders_due(DUE, today=today) == kinds


def test_the_person_is_reminded_only_if_they_asked():
    assert ReminderKind.PERSON_28_DAYS not in reminders_due(DUE, today=D(2026, 2, 1))
    assert ReminderKind.PERSON_28_DAYS in reminders_due(DUE, today=D(2026, 2, 1), person_wants_reminders=True)
    assert ReminderKind.PERSON_28_DAYS not in reminders_due(DUE, today=DUE, person_wants_reminders=True)


def test_the_person_is_reminded_28_days_before_and_again_7_days_before():
    """DUE is 1 March 2026: 28 days before is 1 February, 7 days before 22 February."""
    person = {"person_wants_reminders": True}
    assert [k for k in reminders_due(DUE, today=D(2026, 2, 21), **person) if k in TO_PERSON] == [
        ReminderKind.PERSON_28_DAYS
    ]
    assert [k for k in reminders_due(DUE, today=D(2026, 2, 22), **person) if k in TO_PERSON] == [
        ReminderKind.PERSON_7_DAYS
    ]
    assert not [k for k in reminders_due(DUE, today=D(2026, 2, 22)) if k in TO_PERSON]
    assert not [k for k in reminders_due(DUE, today=DUE, **person) if k in TO_PERSON]


@time_machine.travel(datetime.datetime(2028, 2, 29, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_on_29_february_the_clock_and_the_schedule_agree():
    today = timezone.localdate()
    assert today == D(2028, 2, 29)
    assert next_review_due(today) == D(2029, 2, 28)
    assert first_review_due(today) == D(2028, 5, 29)
