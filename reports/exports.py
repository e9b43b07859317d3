"""The PHB team lead's CSV exports of the caseload, the plans to decide and the reviews due: each list's
columns in plain words and its rows as the list's own page reads them (the page's filter set and selector,
export_views.py), every row and not a page.

A row builder turns one record read by the list's selector into its cells, with no query: the stored codes
as their labels (the journey stage through casework.stages, the route through eligibility.rules, choices
through their model's labels), dates through phb.words. `lines` writes them as CSV: every text cell through
phb.audit.spreadsheet_safe (a cell beginning =, +, - or @ is never read as a formula); the numbers the
service works out (money, days) are written as numbers, and none of them is ever negative.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from careplans.selectors import decision_queue_row
from casework import selectors as stage_selectors
from casework.stages import Holder
from eligibility.rules import ROUTE_LABELS, Route
from payments.flagging import flags_on
from phb import words
from phb.audit import spreadsheet_safe
from phb.downloads import line_writer

# Rows fetched from the database at a time: the list's one query is read through a cursor (PostgreSQL's
# server-side cursor) a chunk at a time, so a national caseload is never held in memory whole.
CHUNK = 2000

NOT_CHOSEN = "Not yet chosen"
NOT_ASSIGNED = "Not assigned yet"


def _route(code) -> str:
    """The latest screening's route in words ("" when there is none, or it found no route)."""
    if not code or code == Route.NONE:
        return ""
    return ROUTE_LABELS[Route(code)]


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


# The caseload


CASELOAD_COLUMNS = (
    "Family name",
    "Given name",
    "NHS number",
    "Date of birth",
    "Care team",
    "Lead coordinator",
    "Engagement support",
    "Route",
    "Stage",
    "Next action",
    "Who does the next action",
    "Money to look at",
)


def caseload_row(person, *, today: datetime.date) -> list:
    """A person read by casework.selectors.caseload (stage, route and money flags read with them)."""
    where = stage_selectors.where(person)
    lead = person.lead_coordinator
    return [
        person.family_name,
        person.given_name,
        person.nhs_number_display,
        words.long_date(person.date_of_birth),
        person.care_team.name,
        lead.display_name if lead else NOT_CHOSEN,
        person.get_engagement_support_display(),
        _route(person.route),
        where.label,
        where.next_action,
        where.holder.label if where.holder != Holder.NOBODY else "",
        "; ".join(code.title for code, _sentence in flags_on(person)),
    ]


# The plans to decide


PLAN_COLUMNS = (
    "Family name",
    "Given name",
    "NHS number",
    "Plan version",
    "Care team",
    "Route",
    "Budget a year (£)",
    "Plan total a year (£)",
    "Over budget",
    "Submitted on",
    "Days waiting",
    "Deciding",
)


def plan_row(version, *, today: datetime.date) -> list:
    """A submitted version read by careplans.selectors.decision_queue (its total, route and budget with it),
    through the queue's own row (decision_queue_row: over budget and days waiting)."""
    row = decision_queue_row(version, today=today)
    person = version.plan.person
    return [
        person.family_name,
        person.given_name,
        person.nhs_number_display,
        version.number,
        person.care_team.name,
        _route(version.route),
        _money(version.budget_version.annual_amount),
        _money(row["total"]),
        "Yes" if row["over_budget"] else "No",
        words.long_date(timezone.localdate(version.submitted_at)),
        max(row["days_waiting"], 0),
        version.assigned_to.display_name if version.assigned_to else NOT_ASSIGNED,
    ]


# The reviews due


REVIEW_COLUMNS = (
    "Family name",
    "Given name",
    "NHS number",
    "Care team",
    "Lead coordinator",
    "Due by",
    "When",
    "Kind",
    "Reason",
)


def due_in_words(due_on: datetime.date, today: datetime.date) -> str:
    """How far off a review is, as the reviews-due page says it ("3 days overdue", "Due today", "In 5 days")."""
    days = (due_on - today).days
    if days < 0:
        return f"{-days} day{'' if days == -1 else 's'} overdue"
    if days == 0:
        return "Due today"
    return f"In {days} day{'' if days == 1 else 's'}"


def review_row(review, *, today: datetime.date) -> list:
    """A review read by careplans.reviews.reviews_due_for (its person and care team with it)."""
    person = review.plan.person
    lead = person.lead_coordinator
    return [
        person.family_name,
        person.given_name,
        person.nhs_number_display,
        person.care_team.name,
        lead.display_name if lead else NOT_CHOSEN,
        words.long_date(review.due_on),
        due_in_words(review.due_on, today),
        review.get_kind_display(),
        review.get_reason_display() if review.reason else "",
    ]


# Writing


@dataclass(frozen=True)
class Export:
    """One list's export: what the audit trail calls it, the download's name and its columns, and the row
    builder for one of its records."""

    list_name: str  # "the caseload": the audit trail's words
    file_name: str  # "caseload": the download is caseload-2026-12-01.csv
    columns: tuple[str, ...]
    row: Callable[..., list]

    def download_name(self, today: datetime.date) -> str:
        return f"{self.file_name}-{today.isoformat()}.csv"


CASELOAD = Export("the caseload", "caseload", CASELOAD_COLUMNS, caseload_row)
PLANS = Export("the plans to decide", "plans-to-decide", PLAN_COLUMNS, plan_row)
REVIEWS = Export("the reviews due", "reviews-due", REVIEW_COLUMNS, review_row)


def cell(value) -> str | int | Decimal:
    """Text through spreadsheet_safe; a number the service worked out stays a number."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    return spreadsheet_safe(value)


def lines(export: Export, records: Iterable, *, today: datetime.date) -> Iterator[str]:
    """The export's CSV, a line at a time: the columns, then one line a record."""
    writer = line_writer()
    yield writer.writerow([cell(name) for name in export.columns])
    for record in records:
        yield writer.writerow([cell(value) for value in export.row(record, today=today)])


def in_chunks(records: QuerySet) -> Iterator:
    """Every record of a list's queryset, from its one query, fetched CHUNK rows at a time (the selectors carry
    their joins and none of the three lists prefetches, so no row asks for more)."""
    return records.iterator(chunk_size=CHUNK)
