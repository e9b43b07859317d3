"""Reviews after the fact, for staff and the portal: what a review found, a plan's reviews with the trend in
each part of life, and the reviews in the plan's timeline.

Reads carry their joins (a review's findings are two queries for any number of reviews); the functions
below the reads are pure (plain values in, plain values out) and tested by tables of cases.

When a review was recorded, and when reviews were moved to a new version or cancelled by an ending, are
written only to the audit trail (`RECORD_REVIEW`, `MOVE_REVIEWS`, `CANCEL_REVIEWS`): the timeline reads
them there, through the audit table's index on the object. A review recorded before the trail's
retention period (AUDIT_RETENTION_YEARS) is placed at the end of the day of the review instead, and the
moves and cancellations of that time drop out of the timeline (each review keeps its own page).
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone

from careplans.models import (
    DOMAIN_CHOICES,
    Change,
    Letter,
    PlanVersion,
    Progress,
    Review,
    ReviewDecision,
    ReviewDomainRating,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
    SupportPlan,
    UnscheduledReason,
)
from careplans.selectors import plan_timeline
from phb.models import AuditAction, AuditEvent
from phb.words import long_date, lower_first

# Reads


def review_findings() -> tuple[Prefetch, Prefetch]:
    """What reviews found: progress on each outcome (with the outcome, in the plan's order) and the rating of
    each part of life. Two queries for any number of reviews (the portal's reviews and the staff pages)."""
    progress = ReviewOutcome.objects.select_related("outcome").order_by("outcome__created_at", "outcome__id")
    return (
        Prefetch("outcome_progress", queryset=progress),
        Prefetch("domain_ratings", queryset=ReviewDomainRating.objects.order_by("id")),
    )


def recorded_at(review_ref: str = "pk") -> Subquery:
    """When the review was recorded: its RECORD_REVIEW audit event (the review itself keeps only the day)."""
    events = AuditEvent.objects.filter(
        action=AuditAction.RECORD_REVIEW,
        object_type=Review._meta.label_lower,
        object_id=Cast(OuterRef(review_ref), CharField()),
    )
    return Subquery(events.order_by("at", "id").values("at")[:1])


def reviews_with_people() -> QuerySet[Review]:
    """Reviews with their plan, person, version and the staff named on them, and when each was recorded."""
    return Review.objects.select_related(
        "plan__person__care_team", "plan_version", "requested_by", "completed_by"
    ).annotate(recorded_at=recorded_at())


def reviews_of_plan(plan: SupportPlan) -> QuerySet[Review]:
    """Every review of a plan, newest first (by when it was due), with its ratings of each part of life and how
    many of its outcomes were achieved (counted in the same query)."""
    progress = ReviewOutcome.objects.filter(review=OuterRef("pk")).order_by().values("review")
    return (
        Review.objects.filter(plan=plan)
        .select_related("plan_version", "completed_by")
        .annotate(
            outcomes_recorded=Subquery(progress.annotate(n=Count("id")).values("n")),
            outcomes_achieved=Subquery(progress.filter(progress=Progress.ACHIEVED).annotate(n=Count("id")).values("n")),
        )
        .prefetch_related(Prefetch("domain_ratings", queryset=ReviewDomainRating.objects.order_by("id")))
        .order_by("-due_on", "-created_at", "-id")
    )


@dataclass(frozen=True)
class ReviewNote:
    """Reviews moved to a new version, or cancelled by an ending (from the audit trail)."""

    at: datetime.datetime
    action: str
    version_id: uuid.UUID
    summary: str
    actor: str


@dataclass
class PlanPapers:
    """A plan's letters, its reviews and the notes about its reviews, read in one query."""

    letters: list[Letter]
    reviews: list[dict]
    notes: list[ReviewNote]


def _user_json(prefix: str) -> dict:
    return {
        f"{prefix}_first": f"{prefix}__first_name",
        f"{prefix}_last": f"{prefix}__last_name",
        f"{prefix}_username": f"{prefix}__username",
    }


def plan_papers(plan: SupportPlan) -> PlanPapers:
    """The plan's letters (newest first), reviews (oldest first, with who asked for and recorded each and when)
    and the audit trail's notes of reviews moved or cancelled, in ONE query: the plan page shows them all and
    stays within the page's query budget (tests/test_page_queries.py)."""
    letters = (
        Letter.objects.filter(plan_version__plan=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values(row=JSONObject(id="id", kind="kind", created_at="created_at"))
    )
    reviews = (
        Review.objects.filter(plan=OuterRef("pk"))
        .order_by("created_at", "id")
        .values(
            row=JSONObject(
                id="id",
                kind="kind",
                status="status",
                due_on="due_on",
                reason="reason",
                created_at="created_at",
                completed_on="completed_on",
                decision="decision",
                plan_version_id="plan_version_id",
                recorded_at=recorded_at("id"),
                **_user_json("requested_by"),
                **_user_json("completed_by"),
            )
        )
    )
    versions = PlanVersion.objects.filter(plan=OuterRef(OuterRef("pk"))).values(text=Cast("id", CharField()))
    notes = (
        AuditEvent.objects.filter(
            action__in=(AuditAction.MOVE_REVIEWS, AuditAction.CANCEL_REVIEWS),
            object_type=PlanVersion._meta.label_lower,
            object_id__in=versions,
        )
        .order_by("at", "id")
        .values(
            row=JSONObject(at="at", action="action", object_id="object_id", summary="summary", **_user_json("actor"))
        )
    )
    found = (
        SupportPlan.objects.filter(pk=plan.pk)
        .annotate(
            letter_rows=ArraySubquery(letters), review_rows=ArraySubquery(reviews), note_rows=ArraySubquery(notes)
        )
        .values("letter_rows", "review_rows", "note_rows")
        .first()
    ) or {"letter_rows": [], "review_rows": [], "note_rows": []}
    return PlanPapers(
        letters=[
            Letter(id=uuid.UUID(row["id"]), kind=row["kind"], created_at=_moment(row["created_at"]))
            for row in found["letter_rows"]
        ],
        reviews=[_review_row(row) for row in found["review_rows"]],
        notes=[
            ReviewNote(
                at=_moment(row["at"]),
                action=row["action"],
                version_id=uuid.UUID(row["object_id"]),
                summary=row["summary"],
                actor=_name(row, "actor"),
            )
            for row in found["note_rows"]
        ],
    )


def letters_and_timeline(*, plan: SupportPlan) -> dict:
    """For the plan page: its letters, and its timeline of events and reviews. Two queries."""
    papers = plan_papers(plan)
    entries = review_entries(papers.reviews, papers.notes)
    return {"letters": papers.letters, "timeline": timeline(plan_timeline(plan=plan), entries)}


def _moment(text: str | None) -> datetime.datetime | None:
    """A time from the database's JSON (ISO 8601 with its offset), aware."""
    if not text:
        return None
    moment = datetime.datetime.fromisoformat(text)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def _day(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _name(row: dict, prefix: str) -> str:
    """A member of staff's name as User.display_name gives it; "" for nobody (the system)."""
    full = f"{row.get(f'{prefix}_first') or ''} {row.get(f'{prefix}_last') or ''}".strip()
    return full or row.get(f"{prefix}_username") or ""


def _review_row(row: dict) -> dict:
    return {
        "id": uuid.UUID(row["id"]),
        "kind": row["kind"],
        "status": row["status"],
        "due_on": _day(row["due_on"]),
        "reason": row["reason"],
        "created_at": _moment(row["created_at"]),
        "completed_on": _day(row["completed_on"]),
        "decision": row["decision"],
        "plan_version_id": uuid.UUID(row["plan_version_id"]),
        "recorded_at": _moment(row["recorded_at"]),
        "requested_by": _name(row, "requested_by"),
        "completed_by": _name(row, "completed_by"),
    }


# Pure presentation


@dataclass(frozen=True)
class ReviewEntry:
    """A line of the plan's timeline about its reviews. `review_id` links to the review's page."""

    at: datetime.datetime
    text: str
    detail: str = ""
    review_id: uuid.UUID | None = None
    # Placed just after this moment rather than at `at` (a review scheduled by recording the one before it).
    after: datetime.datetime | None = None
    is_review = True  # the timeline template tells these from the plan's own events (PlanEvent)

    @property
    def sort_key(self) -> tuple:
        return (self.after, 2) if self.after else (self.at, 1)


SAME_SAVE, ZERO = datetime.timedelta(seconds=5), datetime.timedelta(0)


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def review_entries(reviews: list[dict], notes: list[ReviewNote]) -> list[ReviewEntry]:
    """The timeline's lines about reviews: each review scheduled or asked for, each one recorded, and each
    move to a new version or cancellation (plan_papers' rows; unsorted)."""
    labels = {"reason": dict(UnscheduledReason.choices), "decision": dict(ReviewDecision.choices)}
    recordings = sorted(review["recorded_at"] for review in reviews if review["recorded_at"])
    entries = []
    for review in reviews:
        due = long_date(review["due_on"])
        if review["kind"] == ReviewKind.UNSCHEDULED:
            who = f" by {review['requested_by']}" if review["requested_by"] else ""
            reason = labels["reason"].get(review["reason"], "")
            entries.append(
                ReviewEntry(
                    at=review["created_at"],
                    text=f"Unscheduled review asked for{who}, due by {due}",
                    detail=f"Reason: {reason}." if reason else "",
                    review_id=review["id"],
                )
            )
        else:
            # Recording a review schedules the next in the same transaction, just before its audit row.
            made_by = next((t for t in recordings if SAME_SAVE >= t - review["created_at"] >= ZERO), None)
            entries.append(
                ReviewEntry(
                    at=review["created_at"],
                    text=f"Review scheduled, due by {due}",
                    review_id=review["id"],
                    after=made_by,
                )
            )
        if review["status"] == ReviewStatus.COMPLETED and review["completed_on"]:
            decision = labels["decision"].get(review["decision"], "")
            parts = [f"Recorded by {review['completed_by']}." if review["completed_by"] else ""]
            parts.append(f"What happens next: {lower_first(decision)}." if decision else "")
            entries.append(
                ReviewEntry(
                    at=review["recorded_at"] or _end_of_day(review["completed_on"]),
                    text=f"Review done on {long_date(review['completed_on'])}",
                    detail=" ".join(part for part in parts if part),
                    review_id=review["id"],
                )
            )
    cancelled = {}
    for review in reviews:
        if review["status"] == ReviewStatus.CANCELLED:
            cancelled.setdefault(review["plan_version_id"], []).append(review)
    for note in notes:
        by = f"by {note.actor}" if note.actor else "by the system"
        if note.action == AuditAction.CANCEL_REVIEWS:
            for review in cancelled.pop(note.version_id, []):
                entries.append(
                    ReviewEntry(
                        at=note.at,
                        text=f"Review due by {long_date(review['due_on'])} cancelled",
                        detail=f"Cancelled {by}: {note.summary.partition(': ')[2] or 'the budget ended'}.",
                        review_id=review["id"],
                    )
                )
        else:
            entries.append(ReviewEntry(at=note.at, text=note.summary, detail=f"Moved {by}."))
    return entries


def timeline(events, entries: list[ReviewEntry]) -> list:
    """The plan's events and its review entries in one list, oldest first (an event before a review entry
    at the same moment: a plan is approved, then its first review is scheduled; a review recorded before
    the next one it scheduled)."""
    dated = [((event.at, 0), n, event) for n, event in enumerate(events)]
    dated += [(entry.sort_key, n, entry) for n, entry in enumerate(entries)]
    return [item for *_, item in sorted(dated, key=lambda row: row[:2])]


@dataclass(frozen=True)
class ReviewTag:
    """A review's status as an NHS.UK tag: grey not happening, blue to do, red overdue, green done."""

    words: str
    colour: str


def review_status(review, *, today: datetime.date) -> ReviewTag:
    if review.status == ReviewStatus.COMPLETED:
        return ReviewTag("Done", "green")
    if review.status == ReviewStatus.CANCELLED:
        return ReviewTag("Cancelled", "grey")
    if review.due_on < today:
        return ReviewTag("Overdue", "red")
    return ReviewTag("Due", "blue")


def ratings_in_order(review) -> list[tuple[str, str]]:
    """(part of life, how it changed) for each rating of the review, in the order of the parts of life."""
    order = {value: n for n, (value, _) in enumerate(DOMAIN_CHOICES)}
    ratings = sorted(review.domain_ratings.all(), key=lambda rating: order.get(rating.domain, len(order)))
    return [(rating.get_domain_display(), rating.get_change_display()) for rating in ratings]


@dataclass
class DomainTrend:
    """Better, the same or worse in each part of life, review by review (a table: a row per review)."""

    domains: list[tuple[str, str]]  # (value, label) of each part of life rated in any of the reviews
    # (review, [(part of life, how it changed)] for each of `domains`)
    rows: list[tuple[object, list[tuple[str, str]]]] = field(default_factory=list)
    totals: list[dict] = field(default_factory=list)  # per domain: {"label", "better", "same", "worse"}


NOT_RATED = "Not rated"


def domain_trend(reviews) -> DomainTrend:
    """From completed reviews with their ratings loaded (review_findings), in the order given."""
    done = [review for review in reviews if review.status == ReviewStatus.COMPLETED]
    ratings = {review.pk: {r.domain: r.change for r in review.domain_ratings.all()} for review in done}
    rated = {domain for found in ratings.values() for domain in found}
    domains = [(value, label) for value, label in DOMAIN_CHOICES if value in rated]
    labels = dict(Change.choices)
    trend = DomainTrend(domains=domains)
    for review in done:
        found = ratings[review.pk]
        trend.rows.append((review, [(label, labels[found[d]] if d in found else NOT_RATED) for d, label in domains]))
    for value, label in domains:
        changes = [found.get(value) for found in ratings.values()]
        counts = {c.value: changes.count(c.value) for c in Change}
        trend.totals.append({"label": label, **counts, "bar": bar(counts)})
    return trend


# The bar beside each part of life's counts: better, the same, worse, left to right, as shares of its width.
BAR_WIDTH = 120
BAR_COLOURS = {Change.BETTER: "#007f3b", Change.SAME: "#768692", Change.WORSE: "#d5281b"}  # NHS green, grey, red


def bar(counts: dict) -> list[dict]:
    """The rectangles of a small bar drawn on the server ({"x", "width", "colour"} each): a picture of the
    counts beside them in the table, never the only place they are."""
    total = sum(counts.values())
    rectangles, x = [], 0
    for change, colour in BAR_COLOURS.items():
        width = round(BAR_WIDTH * counts.get(change.value, 0) / total) if total else 0
        width = min(width, BAR_WIDTH - x)
        if width:
            rectangles.append({"x": x, "width": width, "colour": colour})
        x += width
    return rectangles
