"""The outcomes report: what people said at their reviews, for a period and care teams.

How it counts (the same words are on the page, HOW_COUNTED):
- Reviews completed from the first day of the period to the last, both included, count; reviews still due or
  cancelled do not. The care teams are the ones the people are in now.
- Each person counts once. When they had more than one review completed in the period, only the latest
  counts (the latest day; on the same day, the one booked last): it is the most up-to-date view, and the same
  person is never counted twice. A person with two plans (a wheelchair budget beside another, say) is counted
  from whichever plan was reviewed last.
- Parts of life and satisfaction count people; progress on outcomes counts outcomes (a person with three
  outcomes counts three times).
- A person has an outcome in a part of life when their review recorded progress on an outcome of their plan
  in it. Better, the same or worse is what they said about that part of life at that review; "not rated" is
  a person with an outcome there whose review gave no rating for it.
- Engagement support is the one recorded at the person's latest assessment on or before the day of the
  review (the assessment in force then: a later one does not change what was found).
- The share of outcomes in each state of progress is out of every outcome reviewed, including those no
  longer relevant, to the nearest whole per cent, so the shares may not add up to exactly 100.

Every count comes from the database as an aggregate: one query of people and outcomes grouped by part of life
and engagement support (with conditional counts for each rating and each state of progress), one of people by
satisfaction, and one of the teams' names when teams are chosen; the tables add those groups up. The same
number of queries for 10 people as for 10,000.

`outcomes_report()` gives the counts as they are; a page or a CSV never shows them. `shown_tables()` gives
the tables with small numbers hidden (reports.suppression), which the page and `outcomes_csv()` show.
"""

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from budgets.models import Assessment
from careplans.models import DOMAIN_CHOICES, Change, Progress, Review, ReviewOutcome, ReviewStatus, Satisfaction
from people.models import CareTeam, EngagementSupport
from phb.audit import spreadsheet_safe
from phb.words import long_date, lower_first
from reports.suppression import RULE, Cell, CountTable, ShownTable, suppress

TITLE = "Outcomes report"
# A person with an outcome in a part of life whose review gave no rating for it; a review with no satisfaction.
NOT_RATED = "Not rated"
NOT_RECORDED = "Not recorded"

HOW_COUNTED = (
    "We count reviews completed from the first day of the period to the last, both included. "
    "Care teams are the ones people are in now.",
    "Each person counts once. If they had more than one review in the period, only the latest counts. "
    "A person with two plans is counted from the plan reviewed last.",
    "Parts of life and satisfaction count people. Progress counts outcomes, so a person with 3 outcomes "
    "counts 3 times.",
    "A person has an outcome in a part of life if their review recorded progress on an outcome in it. "
    "Better, the same or worse is what they said about that part of life at that review.",
    "Engagement support is the one recorded at the person's latest assessment on or before the day of the review.",
    "The share of outcomes for each kind of progress is out of all outcomes reviewed, including those "
    f"{lower_first(Progress.NO_LONGER_RELEVANT.label)}. Shares are rounded to the nearest whole per cent, "
    "so they may not add up to exactly 100.",
)

DOMAINS = tuple(value for value, _ in DOMAIN_CHOICES)
DOMAIN_LABELS = dict(DOMAIN_CHOICES)
# The support levels an assessment records, then "Not assessed yet" for a review with none before it.
SUPPORT_LEVELS = (*(v for v in EngagementSupport.values if v), EngagementSupport.UNKNOWN.value)
NO_RATING = ""  # the rating key of a person with an outcome in a part of life and no rating of it
NO_SATISFACTION = ""


# The counts (never shown as they are)


@dataclass(frozen=True)
class OutcomesReport:
    start: datetime.date
    end: datetime.date
    team_names: tuple[str, ...] | None  # None: every care team
    # (part of life, engagement support) -> {rating, or NO_RATING: people with an outcome there}
    ratings: dict[tuple[str, str], dict[str, int]]
    # (part of life, engagement support) -> {progress: outcomes}
    progress: dict[tuple[str, str], dict[str, int]]
    # satisfaction, or NO_SATISFACTION -> people
    satisfaction: dict[str, int]

    @property
    def people(self) -> int:
        """People counted: one review each."""
        return sum(self.satisfaction.values())


def counted_reviews(*, start: datetime.date, end: datetime.date, team_ids: list | None) -> QuerySet[Review]:
    """Each person's latest review completed in the period (the latest day, then the one booked last), for
    people in the given care teams (every team when None)."""
    reviews = Review.objects.filter(status=ReviewStatus.COMPLETED, completed_on__gte=start, completed_on__lte=end)
    if team_ids is not None:
        reviews = reviews.filter(plan__person__care_team__in=team_ids)
    latest_first = ("plan__person_id", "-completed_on", "-created_at", "-id")
    return reviews.order_by(*latest_first).distinct("plan__person_id")


def engagement_at_review(review: str = "") -> Coalesce:
    """The engagement support of the person's latest assessment on or before the day of the review (the
    assessments' own order, as the person's record takes it); "" (not assessed yet) when there is none."""
    latest = Assessment.objects.filter(
        person=OuterRef(f"{review}plan__person"), assessed_on__lte=OuterRef(f"{review}completed_on")
    ).order_by(*Assessment._meta.ordering)
    return Coalesce(Subquery(latest.values("engagement_support")[:1]), Value(EngagementSupport.UNKNOWN.value))


def outcomes_report(*, start: datetime.date, end: datetime.date, teams: Iterable | None = None) -> OutcomesReport:
    """What the reviews completed from `start` to `end` (both included) found, for people in `teams` (care
    teams or their ids; every team when None, none when empty). Two queries, three with teams."""
    if end < start:
        raise ValueError("The period must end on or after the day it starts")
    team_ids = None if teams is None else [getattr(team, "pk", team) for team in teams]
    counted = counted_reviews(start=start, end=end, team_ids=team_ids).values("pk")

    # One row for each outcome a counted review recorded, with that review's rating of the outcome's part of
    # life beside it (a left join: none when it gave no rating).
    outcome_rows = ReviewOutcome.objects.filter(review__in=counted).annotate(
        rating=FilteredRelation(
            "review__domain_ratings", condition=Q(review__domain_ratings__domain=F("outcome__domain"))
        )
    )
    people_rating = {
        change: Count("review", distinct=True, filter=Q(rating__change=change)) for change in Change.values
    }
    people_rating[NO_RATING] = Count("review", distinct=True, filter=Q(rating__isnull=True))
    outcomes_in = {progress: Count("id", filter=Q(progress=progress)) for progress in Progress.values}
    groups = (
        outcome_rows.values(domain=F("outcome__domain"), support=engagement_at_review("review__"))
        .annotate(
            **{f"rated_{k}": v for k, v in people_rating.items()},
            **{f"progress_{k}": v for k, v in outcomes_in.items()},
        )
        .order_by()
    )
    ratings, progress = {}, {}
    for group in groups:
        key = (group["domain"], group["support"])
        ratings[key] = {k: group[f"rated_{k}"] for k in people_rating}
        progress[key] = {k: group[f"progress_{k}"] for k in outcomes_in}

    by_satisfaction = (
        Review.objects.filter(pk__in=counted).values("satisfaction").annotate(people=Count("id")).order_by()
    )
    satisfaction = {row["satisfaction"]: row["people"] for row in by_satisfaction}

    team_names = None
    if team_ids is not None:
        team_names = tuple(CareTeam.objects.filter(pk__in=team_ids).order_by("name").values_list("name", flat=True))
    return OutcomesReport(
        start=start, end=end, team_names=team_names, ratings=ratings, progress=progress, satisfaction=satisfaction
    )


# The tables as shown (small numbers hidden)


@dataclass(frozen=True)
class Figures:
    """A table as the page and the CSV show it: its labels and its counts, small numbers hidden."""

    title: str
    unit: str  # what a count counts: "people" or "outcomes"
    row_heading: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    table: ShownTable
    total_heading: str = ""  # the heading of the rows' totals, when shown
    totals_label: str = ""  # the label of the columns' totals row, when shown


@dataclass(frozen=True)
class Share:
    """One kind of progress: how many outcomes (hidden if small) and their share of all outcomes reviewed
    (None when the count or the total is hidden, or nothing was reviewed)."""

    label: str
    outcomes: Cell
    per_cent: int | None


@dataclass(frozen=True)
class ShownOutcomes:
    start: datetime.date
    end: datetime.date
    team_names: tuple[str, ...] | None
    by_domain: Figures
    by_support: tuple[Figures, ...]  # one for each part of life, in the same order
    progress: Figures
    shares: tuple[Share, ...]
    satisfaction: Figures
    rule: str = RULE
    how_counted: tuple[str, ...] = HOW_COUNTED


def _columns_in_use(report: OutcomesReport) -> tuple[list[str], list[str]]:
    """The ratings and support levels to show: every one an app defines, and "not rated" and "not assessed yet"
    only when someone in the report is counted there (they are rare, and a column of 0s says nothing)."""
    ratings = [*Change.values]
    if any(counts[NO_RATING] for counts in report.ratings.values()):
        ratings.append(NO_RATING)
    supports = [s for s in SUPPORT_LEVELS if s or any(support == s for _, support in report.ratings)]
    return ratings, supports


def shown_tables(report: OutcomesReport) -> ShownOutcomes:
    ratings, supports = _columns_in_use(report)
    rating_labels = tuple({**dict(Change.choices), NO_RATING: NOT_RATED}[r] for r in ratings)
    support_labels = tuple(dict(EngagementSupport.choices)[s] for s in supports)

    # Each part of life by engagement support, with every total: the overview below is their totals, so the
    # hiding done here holds for both (a separate hiding of the overview could give these away).
    by_support = []
    for domain in DOMAINS:
        counts = [[report.ratings.get((domain, s), {}).get(r, 0) for r in ratings] for s in supports]
        by_support.append(
            Figures(
                title=f"{DOMAIN_LABELS[domain]}: by engagement support",
                unit="people",
                row_heading="Engagement support",
                rows=support_labels,
                columns=rating_labels,
                table=suppress(CountTable(counts, row_totals=True, column_totals=True)),
                total_heading="People with an outcome in it",
                totals_label="All people",
            )
        )
    by_domain = Figures(
        title="Parts of life",
        unit="people",
        row_heading="Part of life",
        rows=tuple(DOMAIN_LABELS[d] for d in DOMAINS),
        columns=rating_labels,
        table=ShownTable(
            cells=tuple(f.table.column_totals for f in by_support),
            row_totals=tuple(f.table.grand_total for f in by_support),
        ),
        total_heading="People with an outcome in it",
    )

    outcomes = [
        [sum(report.progress.get((d, s), {}).get(p, 0) for s in supports) for p in Progress.values] for d in DOMAINS
    ]
    progress = Figures(
        title="Progress on outcomes",
        unit="outcomes",
        row_heading="Part of life",
        rows=by_domain.rows,
        columns=tuple(Progress.labels),
        table=suppress(CountTable(outcomes, row_totals=True, column_totals=True)),
        total_heading="Outcomes reviewed",
        totals_label="All parts of life",
    )
    reviewed = progress.table.grand_total
    shares = tuple(
        Share(label=label, outcomes=cell, per_cent=_per_cent(cell, reviewed))
        for label, cell in zip(Progress.labels, progress.table.column_totals, strict=True)
    )

    levels = [*Satisfaction.values] + ([NO_SATISFACTION] if report.satisfaction.get(NO_SATISFACTION) else [])
    satisfaction = Figures(
        title="Satisfaction",
        unit="people",
        row_heading="Satisfaction with the personal health budget",
        rows=tuple({**dict(Satisfaction.choices), NO_SATISFACTION: NOT_RECORDED}[s] for s in levels),
        columns=("People",),
        table=suppress(CountTable([[report.satisfaction.get(s, 0)] for s in levels], column_totals=True)),
        totals_label="All people reviewed",
    )
    return ShownOutcomes(
        start=report.start,
        end=report.end,
        team_names=report.team_names,
        by_domain=by_domain,
        by_support=tuple(by_support),
        progress=progress,
        shares=shares,
        satisfaction=satisfaction,
    )


def _per_cent(part: Cell, whole: Cell) -> int | None:
    """A share to the nearest whole per cent (halves up), from figures shown only."""
    if part.hidden or whole.hidden or not whole.value:
        return None
    return (200 * part.value + whole.value) // (2 * whole.value)


# The CSV


def outcomes_csv(report: OutcomesReport) -> str:
    """The shown tables one under another, each with its title and headings, after the period, the teams, how
    it counts and the rule for small numbers; hidden counts as the marker, every text through
    phb.audit.spreadsheet_safe."""
    shown = shown_tables(report)
    out = io.StringIO()
    writer = csv.writer(out)

    def text(*cells):
        writer.writerow([spreadsheet_safe(c) for c in cells])

    text(TITLE)
    text("Period", f"{long_date(shown.start)} to {long_date(shown.end)}")
    text("Care teams", "All care teams" if shown.team_names is None else ", ".join(shown.team_names) or "None")
    for sentence in shown.how_counted:
        text("How we count", sentence)
    text("Small numbers", shown.rule)
    for figures in (shown.by_domain, *shown.by_support, shown.progress, shown.satisfaction):
        writer.writerow([])
        _write(writer, figures)
    writer.writerow([])
    text("Share of outcomes reviewed")
    text("Progress", "Outcomes", "Share")
    for share in shown.shares:
        text(share.label, str(share.outcomes), "" if share.per_cent is None else f"{share.per_cent}%")
    return out.getvalue()


def _write(writer, figures: Figures) -> None:
    table = figures.table
    writer.writerow([spreadsheet_safe(f"{figures.title} ({figures.unit})")])
    headings = [figures.row_heading, *figures.columns] + ([figures.total_heading] if table.row_totals else [])
    writer.writerow([spreadsheet_safe(h) for h in headings])
    for r, label in enumerate(figures.rows):
        total = [str(table.row_totals[r])] if table.row_totals else []
        writer.writerow([spreadsheet_safe(label), *(str(c) for c in table.cells[r]), *total])
    if table.column_totals:
        grand = [str(table.grand_total)] if table.grand_total else []
        writer.writerow([spreadsheet_safe(figures.totals_label), *(str(c) for c in table.column_totals), *grand])
