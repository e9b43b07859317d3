"""When reviews are due, and when each reminder about them goes out: pure functions over dates.

The law expects a review within 3 months of the start and then at least every 12
months; sooner when health changes or the money is not enough (an unscheduled
review). Both intervals come from settings.
"""

import datetime
from enum import StrEnum

from careplans.rules import add_months


def first_review_due(start: datetime.date, *, within_months: int = 3) -> datetime.date:
    return add_months(start, within_months)


def next_review_due(completed_on: datetime.date, *, interval_months: int = 12) -> datetime.date:
    return add_months(completed_on, interval_months)


def unscheduled_review_due(requested_on: datetime.date, *, days: int = 14) -> datetime.date:
    return requested_on + datetime.timedelta(days=days)


class ReminderKind(StrEnum):
    COORDINATOR_28_DAYS = "coordinator_28"
    COORDINATOR_7_DAYS = "coordinator_7"
    COORDINATOR_DUE = "coordinator_due"
    LEAD_OVERDUE = "lead_overdue_14"
    PERSON_28_DAYS = "person_28"
    PERSON_7_DAYS = "person_7"


# The reminders that go to the person (the way they chose, people.contact), not to staff.
TO_PERSON = frozenset({ReminderKind.PERSON_28_DAYS, ReminderKind.PERSON_7_DAYS})


REMINDER_LABELS = {
    ReminderKind.COORDINATOR_28_DAYS: "To the coordinator, 28 days before",
    ReminderKind.COORDINATOR_7_DAYS: "To the coordinator, 7 days before",
    ReminderKind.COORDINATOR_DUE: "To the coordinator, on the due date",
    ReminderKind.LEAD_OVERDUE: "To the PHB team lead, 14 days overdue",
    ReminderKind.PERSON_28_DAYS: "To the person, 28 days before",
    ReminderKind.PERSON_7_DAYS: "To the person, 7 days before",
}

# Each reminder has a window, in days relative to the due date: it is sent by the first sweep
# on or after the window opens, and never once the window has closed (a later reminder has
# taken its place). None means the window never closes.
WINDOWS: dict[ReminderKind, tuple[int, int | None]] = {
    ReminderKind.COORDINATOR_28_DAYS: (-28, -7),
    ReminderKind.COORDINATOR_7_DAYS: (-7, 0),
    ReminderKind.COORDINATOR_DUE: (0, 14),
    ReminderKind.LEAD_OVERDUE: (14, None),
    ReminderKind.PERSON_28_DAYS: (-28, -7),
    ReminderKind.PERSON_7_DAYS: (-7, 0),
}


def window(kind: ReminderKind, due_on: datetime.date) -> tuple[datetime.date, datetime.date | None]:
    opens, closes = WINDOWS[kind]
    return (
        due_on + datetime.timedelta(days=opens),
        None if closes is None else due_on + datetime.timedelta(days=closes),
    )


def reminders_due(
    due_on: datetime.date, *, today: datetime.date, person_wants_reminders: bool = False
) -> list[ReminderKind]:
    """The reminders whose window is open today for a review still waiting to be done."""
    kinds = []
    for kind in ReminderKind:
        if kind in TO_PERSON and not person_wants_reminders:
            continue
        opens, closes = window(kind, due_on)
        if opens <= today and (closes is None or today < closes):
            kinds.append(kind)
    return kinds
