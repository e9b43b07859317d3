"""What one run shares (the World: dates, staff, tariffs, cohorts, id counters) and the rows of one batch of
people (the Batch: a Table per model), written in an order the foreign keys and triggers accept.

Times are whole seconds counted from day 0 of the proleptic Gregorian calendar (`day * 86400 + second`,
with `day` a date ordinal), so the simulation adds and compares plain integers and formats each once.
"""

import datetime
import io
import json
from dataclasses import dataclass, field

from budgets.models import Assessment, AssessmentNeed, BudgetVersion, CurrentService
from careplans.models import (
    DecisionEmail,
    Letter,
    Outcome,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewDomainRating,
    ReviewOutcome,
    ReviewReminder,
    SupportItem,
    SupportPlan,
)
from eligibility.models import Screening
from people.models import Person, PortalAccess, User
from phb.models import AuditEvent
from portal.models import Invitation, Message
from scale.copy import NULL, Table, m2m_table, text
from scale.staff import USER_FIELDS, Member, Staffing

DAY = 86400
_DAYS: dict[int, str] = {}


def day_text(day: int) -> str:
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = datetime.date.fromordinal(day).isoformat()
    return text


_TIMES = [f" {h:02d}:{m:02d}:{s:02d}+00" for h in range(24) for m in range(60) for s in range(60)]


def stamp(moment: int) -> str:
    """A time as PostgreSQL reads it (UTC)."""
    day, second = divmod(moment, DAY)
    return day_text(day) + _TIMES[second]


def on(day: int) -> datetime.date:
    return datetime.date.fromordinal(day)


@dataclass
class Counters:
    """Integer ids the generator gives itself, continuing across batches: users and plan events (other rows
    point to them), and the next id of each numbered table (see Batch)."""

    user: int
    plan_event: int
    tables: dict[str, list[int]] = field(default_factory=dict)  # table name -> [next id]


@dataclass
class World:
    seed: int
    anchor: int  # the anchor date's ordinal: "today" for the data
    unswept_days: int
    password_hash: str
    staff: Staffing
    counters: Counters
    tariffs: list  # budgets data for each tariff, oldest first (see journey.Tariffs)
    cohorts: dict  # code -> (id, name, needs_decision, retired)
    nhs_numbers: list[str]
    max_attempts: int
    lead_approval_above: object
    first_review_months: int
    review_interval_months: int
    unscheduled_review_days: int
    organisation: str
    caches: dict = field(default_factory=dict)


SCREENING_FIELDS = [
    "id",
    "person",
    "screened_on",
    "funding",
    "hospital_inpatient",
    "section_117",
    "wheelchair",
    "commissioned_package",
    "package_description",
    "block_contract_services",
    "outcome",
    "route",
    "reasons",
    "next_steps",
    "findings",
    "decision",
    "decided_by",
    "decided_at",
    "decision_reason",
    "created_at",
    "created_by",
]
PERSON_FIELDS = [
    "id",
    "nhs_number",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "phone",
    "email",
    "gp_practice",
    "representative_role",
    "representative_name",
    "representative_relationship",
    "representative_contact",
    "care_team",
    "lead_coordinator",
    "wants_review_reminders",
    "engagement_support",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "version",
]
ASSESSMENT_FIELDS = [
    "id",
    "person",
    "assessed_on",
    "assessor",
    "participants",
    "engagement_support",
    "engagement_note",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
]
SERVICE_FIELDS = [
    "id",
    "assessment",
    "name",
    "provider",
    "service_type",
    "funding",
    "unit_cost",
    "units",
    "unit_kind",
    "period",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "version",
]
BUDGET_FIELDS = [
    "id",
    "person",
    "number",
    "assessment",
    "calculated_on",
    "tariff",
    "inputs",
    "costed_total",
    "ras_total",
    "costed_lines",
    "ras_lines",
    "flags",
    "method",
    "method_explanation",
    "base_amount",
    "adjustment",
    "adjustment_reason",
    "annual_amount",
    "council_share",
    "council_share_means_tested",
    "sign_off",
    "sign_off_reasons",
    "signed_off_by",
    "signed_off_at",
    "sign_off_note",
    "created_by",
    "created_at",
]
VERSION_FIELDS = [
    "id",
    "plan",
    "number",
    "status",
    "budget_version",
    *PlanVersion.CONTENT_FIELDS,
    "revision",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
    "submitted_at",
    "submitted_by",
    "assigned_to",
    "decided_by",
    "decided_at",
    "decision_reason",
    "conditions",
    "agreed_annual",
    "ended_on",
    "end_reason",
    "end_note",
    "unspent_to_repay",
]
OUTCOME_FIELDS = ["id", "plan_version", "key", "domain", "goal", "measure", "target_date", "created_at"]
ITEM_FIELDS = [
    "id",
    "plan_version",
    "key",
    "description",
    "provider",
    "category",
    "unit_cost",
    "quantity",
    "frequency",
    "money_option",
    "third_party_organisation",
    "created_at",
]
OUTBOX_FIELDS = [
    "created_at",
    "queued_at",
    "claimed_at",
    "sent_at",
    "attempts",
    "next_attempt_at",
    "failed_at",
    "last_error",
]
REVIEW_FIELDS = [
    "id",
    "plan",
    "plan_version",
    "kind",
    "due_on",
    "status",
    "reason",
    "reason_note",
    "requested_by",
    "created_at",
    "completed_on",
    "completed_by",
    "money_enough",
    "money_notes",
    "used_as_planned",
    "use_notes",
    "safety_notes",
    "satisfaction",
    "decision",
]
AUDIT_FIELDS = [
    "at",
    "actor",
    "actor_username",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "person_id",
    "summary",
    "changes",
    "request_id",
]


class Batch:
    """The rows of one batch of people, a Table per model (plan versions and their contents by version
    number: see flush)."""

    def __init__(self, counters: Counters):
        self.counters = counters
        self.users = Table(User, USER_FIELDS)
        self.people = Table(Person, PERSON_FIELDS)
        self.screenings = Table(Screening, SCREENING_FIELDS)
        self.screening_cohorts = Table(m2m_table(Screening, "cohorts"), ["screening", "ipccohort"], numbered=True)
        self.assessments = Table(Assessment, ASSESSMENT_FIELDS)
        self.needs = Table(AssessmentNeed, ["assessment", "domain", "level", "own_words"], numbered=True)
        self.services = Table(CurrentService, SERVICE_FIELDS)
        self.budgets = Table(BudgetVersion, BUDGET_FIELDS)
        self.plans = Table(SupportPlan, ["id", "person", "created_by", "created_at"])
        self.waves: dict[int, Wave] = {}
        self.events = Table(PlanEvent, ["id", "plan_version", "at", "actor", "from_status", "to_status", "reason"])
        self.emails = Table(DecisionEmail, ["event", "to", "subject", "body", *OUTBOX_FIELDS], numbered=True)
        self.letters = Table(Letter, ["id", "person", "plan_version", "kind", "pdf", "created_by", "created_at"])
        self.reviews = Table(Review, REVIEW_FIELDS)
        self.review_outcomes = Table(ReviewOutcome, ["review", "outcome", "progress", "own_words"], numbered=True)
        self.ratings = Table(ReviewDomainRating, ["review", "domain", "change"], numbered=True)
        self.reminders = Table(ReviewReminder, ["review", "kind", *OUTBOX_FIELDS], numbered=True)
        self.accesses = Table(
            PortalAccess, ["user", "person", "relationship", "granted_at", "granted_by", "revoked_at"], numbered=True
        )
        self.invitations = Table(
            Invitation,
            [
                "id",
                "person",
                "email",
                "relationship",
                "token_hash",
                "expires_at",
                "used_at",
                "user",
                "created_by",
                "created_at",
            ],
        )
        self.messages = Table(Message, ["id", "person", "sender", "from_patient", "body", "created_at", "read_at"])
        self.audit = Table(AuditEvent, AUDIT_FIELDS, numbered=True)
        self._number(self._head() + self._tail())

    def _number(self, tables: list[Table]) -> None:
        for table in tables:
            if table.numbered:
                table.counter = self.counters.tables[table.name]

    def wave(self, number: int) -> "Wave":
        wave = self.waves.get(number)
        if wave is None:
            wave = self.waves[number] = Wave()
            self._number(wave.tables())
        return wave

    def record(
        self,
        moment: int,
        actor: Member | None,
        action: str,
        label: str,
        object_id: str,
        person_id: str | None,
        summary: str,
        changes: dict | str | None = None,
    ) -> None:
        """An audit event, as phb.audit.record writes it (no request id: nothing came through a request).
        `changes` may be JSON already."""
        who = "\\N\t\t" if actor is None else f"{actor.id}\t{actor.username}\t{actor.role}"
        changed = text(changes if isinstance(changes, str) else json.dumps(changes)) if changes else "{}"
        self.audit.add_cells(
            f"{stamp(moment)}\t{who}\t{action}\t{label}\t{object_id}\t{person_id or NULL}\t{text(summary[:200])}"
            f"\t{changed}\t"
        )

    def _head(self) -> list[Table]:
        return [
            self.users,
            self.people,
            self.screenings,
            self.screening_cohorts,
            self.assessments,
            self.needs,
            self.services,
            self.budgets,
            self.plans,
        ]

    def _tail(self) -> list[Table]:
        return [
            self.events,
            self.emails,
            self.letters,
            self.reviews,
            self.review_outcomes,
            self.ratings,
            self.reminders,
            self.invitations,
            self.accesses,
            self.messages,
            self.audit,
        ]

    def payload(self) -> list:
        """Every row, in the order to send them, and empties the batch. Plan versions go in by number: each
        is inserted as a draft, its outcomes and items (which the freeze trigger accepts only on a draft)
        after it, and then it is moved to its status (the trigger lets a draft move on), exactly as a
        coordinator and the PHB team would."""
        steps = [self._take(table) for table in self._head()]
        for number in sorted(self.waves):
            wave = self.waves[number]
            steps += [self._take(table) for table in wave.tables()]
            steps.append(Moves("\n".join(wave.moves)) if wave.moves else None)
        self.waves = {}
        steps += [self._take(table) for table in self._tail()]
        return [step for step in steps if step is not None]

    def _take(self, table: Table):
        return table.take()


def send(payload: list, cursor) -> dict[str, int]:
    """Writes a batch's payload; returns the rows written by table."""
    counts: dict[str, int] = {}
    for step in payload:
        if isinstance(step, Moves):
            step.send(cursor)
        else:
            counts[step.table] = counts.get(step.table, 0) + step.send(cursor)
    return counts


class Wave:
    """The plan versions with one number, their outcomes, items and links, and the status each moves to."""

    def __init__(self):
        self.versions = Table(PlanVersion, VERSION_FIELDS)
        self.outcomes = Table(Outcome, OUTCOME_FIELDS)
        self.items = Table(SupportItem, ITEM_FIELDS)
        self.links = Table(m2m_table(SupportItem, "outcomes"), ["supportitem", "outcome"], numbered=True)
        self.moves: list[str] = []

    def tables(self) -> list[Table]:
        return [self.versions, self.outcomes, self.items, self.links]


@dataclass(frozen=True)
class Moves:
    """Plan versions inserted as drafts, and the status each moves on to (one "id<TAB>status" line each)."""

    rows: str

    def send(self, cursor) -> None:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS scale_version_status (id uuid PRIMARY KEY, status varchar(20))")
        cursor.execute("TRUNCATE scale_version_status")
        cursor.copy_expert("COPY scale_version_status (id, status) FROM STDIN", io.StringIO(self.rows))
        cursor.execute(
            "UPDATE careplans_planversion AS v SET status = s.status FROM scale_version_status AS s WHERE v.id = s.id"
        )
