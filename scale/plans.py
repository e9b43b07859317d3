"""A person's support plan told as a story: versions written, submitted, decided, started, replaced and
ended; reviews due and done; the reminders the sweep sent; letters and e-mails; the timeline and the
audit trail. Each step follows the service that does it in careplans (services, approval, reviews).

The story is simulated forward in days. Reviews are completed around their due date, and a review may
decide to change the plan: a new version then goes through submission and decision and, once started,
replaces the one in force. A review belongs to the version in force when it was done (or, still due, to
the version in force now), as careplans.reviews and plan_activate leave it.
"""

import bisect
import functools
import json
from decimal import Decimal
from typing import NamedTuple

from careplans import rules, schedule
from careplans.lifecycle import TO_STATUS, Action
from careplans.models import (
    AgreementMethod,
    EndReason,
    LetterKind,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    Status,
    UnscheduledReason,
)
from phb.models import AuditAction
from phb.words import long_date, lower_first
from scale import fiction
from scale.batch import DAY, Batch, World, day_text, on, stamp
from scale.copy import NULL, random_uuid
from scale.documents import letter_pdf

# How each plan stands today, with how many in a hundred plans are there. The first five have not
# started: the first version is being written, waiting for a decision, sent back (and rewritten), turned
# down, or approved to start soon. Running plans may have a change on its way; ended ones may have had one
# withdrawn when the budget ended.
PLAN_KINDS = (
    ("first_written", 2.0),
    ("first_waiting", 0.6),
    ("first_sent_back", 0.5),
    ("first_turned_down", 0.8),
    ("first_starting", 0.8),
    ("running", 80.5),
    ("running_change_written", 3.0),
    ("running_change_waiting", 1.0),
    ("running_change_starting", 0.8),
    ("budget_ending", 1.5),
    ("budget_ended", 6.5),
    ("budget_ended_change_withdrawn", 2.0),
)
NOT_STARTED = {
    "first_written": Status.DRAFT,
    "first_waiting": Status.SUBMITTED,
    "first_sent_back": Status.RETURNED,
    "first_turned_down": Status.DECLINED,
    "first_starting": Status.APPROVED,
}
CHANGE_ON_ITS_WAY = {
    "running_change_written": Status.DRAFT,
    "running_change_waiting": Status.SUBMITTED,
    "running_change_starting": Status.APPROVED,
}
ENDED = ("budget_ended", "budget_ended_change_withdrawn")
AMEND_AFTER_REVIEW = 0.2
UNSCHEDULED_A_YEAR = 0.12
ITEM_DOMAINS = {
    "personal_care": ("daily_living",),
    "therapy": ("physical_health", "mental_health"),
    "equipment": ("daily_living", "housing", "physical_health"),
    "activities": ("social", "mental_health", "work"),
    "transport": ("social",),
    "short_breaks": ("carers",),
    "other": ("confidence",),
}
PA_TEMPLATES = [t for t in fiction.SUPPORT_ITEMS if t[2] == "personal_care"]
OTHER_TEMPLATES = [t for t in fiction.SUPPORT_ITEMS if t[2] != "personal_care"]
LABEL = "careplans.planversion"
REFUSED = "SMTP server refused the connection (421 try again later)"
PROGRESS = ("achieved", "partly", "partly", "not_yet", "no_longer_relevant")
CHANGES = ("better", "better", "same", "worse")
SATISFACTION = tuple(Satisfaction.values)
REVIEW_NOTES = {part: tuple(words) for part, words in fiction.REVIEW_NOTES.items()}
# The audit row's changes for a recorded review, by decision (encoded once).
RECORDED = {
    decision: json.dumps(
        {"status": [ReviewStatus.DUE.value, ReviewStatus.COMPLETED.value], "decision": [None, decision]}
    )
    for decision in ReviewDecision.values
}


# How the PHB team decides a plan submitted for the first time (per cent), over Status.DECIDED.
DECISION_WEIGHTS = {
    Status.APPROVED: 85,
    Status.RETURNED: 8,
    Status.DECLINED: 7,
}


@functools.lru_cache(maxsize=64)
def moved(before: str, after: str) -> str:
    """An audit row's changes for a move from one status to another, encoded once."""
    return json.dumps({"status": [str(before), str(after)]})


def pick_fast(chance, options):
    """One of `options`, drawn with `chance` (a generator's random method): cheaper than Random.choice."""
    return options[int(chance() * len(options))]


@functools.lru_cache(maxsize=4096)
def item_exact(unit_cost: str, quantity: int, frequency: str):
    return rules.item_annual_exact(Decimal(unit_cost), Decimal(quantity), rules.Frequency(frequency))


@functools.lru_cache(maxsize=4096)
def item_cost(unit_cost: str, quantity: int, frequency: str) -> Decimal:
    return rules.item_annual_cost(Decimal(unit_cost), Decimal(quantity), rules.Frequency(frequency))


class Item(NamedTuple):
    """A support item as a version lists it; `key` stays the same across versions (and `outcome_keys`)."""

    key: str
    description: str
    provider: str
    category: str
    unit_cost: str
    quantity: int
    frequency: str
    money_option: str
    organisation: str
    outcome_keys: tuple[str, ...]


def plan_total(items: list[Item]) -> Decimal:
    return sum((item_cost(i.unit_cost, i.quantity, i.frequency) for i in items), Decimal("0.00"))


class Content:
    """What a version says (PlanVersion.CONTENT_FIELDS), with its outcomes and items."""

    __slots__ = (
        "start",
        "first_review",
        "what_matters",
        "about_me",
        "helped_by",
        "coordinator",
        "health_monitor",
        "review_method",
        "notice",
        "risks",
        "contingency",
        "dp_recipient",
        "dp_name",
        "dp_amount",
        "dp_frequency",
        "agreed_on",
        "agreement_method",
        "witness",
        "justification",
        "outcomes",
        "items",
    )

    def copy(self) -> "Content":
        other = Content()
        for name in Content.__slots__:
            setattr(other, name, getattr(self, name))
        return other


class Version:
    __slots__ = (
        "number",
        "id",
        "created",
        "author",
        "actor",
        "origin",
        "source",
        "content",
        "revision",
        "submitted",
        "assigned",
        "decided",
        "decider",
        "decision",
        "reason",
        "conditions",
        "total",
        "activated",
        "activator",
        "closed",
        "closed_status",
        "closer",
        "ended",
        "ended_on",
        "end_reason",
        "end_note",
        "unspent",
        "finished",
        "outcome_ids",
    )

    def __init__(self, number: int, rng):
        self.number = number
        self.id = random_uuid(rng)
        for name in Version.__slots__[2:]:
            setattr(self, name, None)

    @property
    def status(self) -> str:
        if self.finished is not None or self.end_now:
            return Status.ENDED
        if self.ended is not None:
            return Status.ENDING
        if self.closed_status:
            return self.closed_status
        if self.activated is not None:
            return Status.ACTIVE
        if self.decision:
            return self.decision
        if self.submitted is not None:
            return Status.SUBMITTED
        return Status.DRAFT

    @property
    def end_now(self) -> bool:
        return self.ended is not None and self.ended_on <= self.ended // DAY


class Review:
    __slots__ = (
        "id",
        "kind",
        "due",
        "created",
        "creator_version",
        "reason",
        "note",
        "requester",
        "completed",
        "completer",
        "decision",
        "cancelled",
        "next_due",
    )

    def __init__(self, rng, kind: str, due: int, created: int, version: Version):
        self.id = random_uuid(rng)
        self.kind, self.due, self.created, self.creator_version = kind, due, created, version
        self.reason = self.note = ""
        self.requester = self.completed = self.completer = self.decision = self.cancelled = self.next_due = None


def draw_kind(rng) -> str:
    return rng.choices([k for k, _ in PLAN_KINDS], [w for _, w in PLAN_KINDS])[0]


class Story:
    """When the plan begins, and the days its story turns on (decided before the budget is written)."""

    def __init__(self, world: World, kind: str, rng, *, bench: bool = False):
        today = world.anchor
        self.kind, self.bench = kind, bench
        self.start = self.stop = self.ended_on = None
        self.returned_first = rng.random() < 0.1
        if kind in NOT_STARTED:
            # (Every range is drawn, whichever is used, so each kind takes the same draws.)
            ago = {
                Status.DRAFT: rng.randint(1, 60),
                Status.SUBMITTED: rng.randint(12, 75),
                Status.RETURNED: rng.randint(25, 100),
                Status.DECLINED: rng.randint(60, 1500),
                Status.APPROVED: rng.randint(30, 90),
            }
            self.created = today - ago[NOT_STARTED[kind]]
            return
        if kind == "budget_ending":
            self.start = today - rng.randint(200, 3650)
            self.stop = today - rng.randint(1, 20)
            self.ended_on = today + rng.randint(1, 60)
        elif kind in ENDED:
            self.start = today - rng.randint(400, 3650)
            self.stop = rng.randint(self.start + 200, today - 2)
            self.ended_on = min(self.stop + (0 if rng.random() < 0.3 else rng.randint(1, 56)), today - 1)
        else:
            age = rng.randint(1300, 3650) if bench else rng.randint(20, 3650)
            self.start = today - age
            self.stop = today
        # The first version's way to approval, counted back from its start.
        self.decided = self.start - rng.randint(0, 21)
        self.submitted = self.decided - rng.randint(1, 14)
        if self.returned_first:
            self.returned_on = self.submitted - rng.randint(3, 14)
            self.first_submitted = self.returned_on - rng.randint(1, 14)
        else:
            self.returned_on = None
            self.first_submitted = self.submitted
        self.created = self.first_submitted - rng.randint(3, 30)


class PlanWriter:
    """Simulates one plan and writes its rows."""

    def __init__(self, world: World, batch: Batch, life, story: Story, budget_id: str, budget_number: int, annual):
        self.world, self.batch, self.life, self.story = world, batch, life, story
        self.rng = life.rng
        self.budget_id, self.budget_number, self.budget = budget_id, budget_number, annual
        self.plan_id = random_uuid(self.rng)
        self.versions: list[Version] = []
        self.in_force: list[tuple[int, Version]] = []  # (from day, version), in order
        self.reviews: list[Review] = []
        self.events: list[tuple] = []  # (time, version, from, to, actor, reason, email)
        self.letters: list[tuple] = []
        self.audits: list[tuple] = []
        self.last_completed = 0
        self.busy_until = 0  # the day the last change of the plan was settled
        self.coordinator = life.lead or life.acting

    # Times of day: the service's working day, in order, so a day's steps read in the right order.

    def at(self, day: int, hour: int) -> int:
        return day * DAY + hour * 3600 + self.rng.randint(0, 3599)

    def audit(self, moment, actor, action, version: Version, summary, changes=None, label=LABEL, object_id=None):
        self.audits.append((moment, actor, action, label, object_id or version.id, summary, changes))

    def event(self, moment, version, from_status, to_status, actor, reason="", email=None):
        self.events.append((moment, version, from_status, to_status, actor, reason, email))

    # What versions say

    def fresh_content(self, start: int) -> Content:
        rng, life = self.rng, self.life
        content = Content()
        content.start = start
        content.first_review = start + rng.randint(30, 85)
        content.what_matters = rng.choice(fiction.WHAT_MATTERS)
        content.about_me = rng.choice(fiction.ABOUT_ME)
        helper = life.representative[1] if life.representative else "their family"
        content.helped_by = f"{life.given}, {helper} and {self.coordinator.name}"
        content.coordinator = self.coordinator
        content.health_monitor = rng.choice(fiction.HEALTH_MONITORS)
        content.review_method = rng.choice(fiction.REVIEW_METHODS)
        content.notice = rng.choice((28, 28, 28, 14, 56))
        content.risks = rng.choice(fiction.RISKS)
        content.contingency = rng.choice(fiction.CONTINGENCY)
        count = 4 if self.story.bench else rng.choice((1, 2, 2, 2, 3, 3, 4))
        content.outcomes = [
            (random_uuid(rng), domain, goal, measure, None if rng.random() < 0.2 else start + rng.randint(60, 365))
            for domain, goal, measure in rng.sample(fiction.OUTCOME_GOALS, count)
        ]
        content.items = self.draw_items(content.outcomes, 15 if self.story.bench else None)
        content.agreed_on = content.agreement_method = None
        content.witness = ""
        self.settle_money(content)
        return content

    def item(self, template, outcomes, *, quantity=None, filler=False) -> Item:
        rng = self.rng
        description, provider, category, costs, quantities, frequency = template
        domains = ITEM_DOMAINS[category]
        matching = [o for o in outcomes if o[1] in domains] or outcomes
        linked = {rng.choice(matching)[0]}
        if len(outcomes) > 1 and rng.random() < 0.3:
            linked.add(rng.choice(outcomes)[0])
        weights = (60, 20, 20) if filler else (30, 60, 10)
        option = rng.choices(("direct_payment", "notional", "third_party"), weights)[0]
        organisation = rng.choice(fiction.THIRD_PARTIES) if option == "third_party" else ""
        return Item(
            random_uuid(rng),
            description,
            provider,
            category,
            rng.choice(costs),
            quantity if quantity is not None else rng.choice(quantities),
            frequency,
            option,
            organisation,
            tuple(sorted(linked)),
        )

    def draw_items(self, outcomes, count: int | None) -> list[Item]:
        """Items that spend most of the budget: a few things, then personal assistant hours to fill it."""
        rng = self.rng
        extras = rng.sample(OTHER_TEMPLATES, min(count - 2, len(OTHER_TEMPLATES)) if count else rng.randint(1, 4))
        items = [self.item(t, outcomes) for t in extras]
        target = self.budget * Decimal(rng.randint(85, 98)) / 100
        while len(items) > 1 and plan_total(items) > target:
            items.pop()
        fillers = count - len(items) if count else None
        rate = rng.choice(PA_TEMPLATES[0][3])
        a_year_per_hour = item_exact(rate, 1, "week")
        hours = int((target - plan_total(items)) / Decimal(a_year_per_hour.numerator / a_year_per_hour.denominator))
        if fillers is None:
            fillers = 0 if hours < 1 else min(3, 1 + hours // 60)
        if fillers:
            hours = max(hours, fillers)
            for n in range(fillers):
                share = min(hours // fillers + (1 if n < hours % fillers else 0), 168)
                template = PA_TEMPLATES[n % len(PA_TEMPLATES)]
                item = self.item(template, outcomes, quantity=share, filler=True)
                items.append(item._replace(unit_cost=rate))
        return items

    def settle_money(self, content: Content) -> None:
        """The direct payment that pays for the items paid that way, and why the plan costs more, if it does."""
        rng, life = self.rng, self.life
        direct = [i for i in content.items if i.money_option == rules.MoneyOption.DIRECT_PAYMENT]
        content.dp_recipient = content.dp_name = content.dp_frequency = ""
        content.dp_amount = None
        if direct:
            if life.representative:
                content.dp_recipient = life.representative[0]
                content.dp_name = life.representative[1]
            else:
                content.dp_recipient, content.dp_name = "person", life.name
            content.dp_frequency = rng.choice(("4_weekly", "monthly"))
            annual = sum((item_exact(i.unit_cost, i.quantity, i.frequency) for i in direct), 0)
            content.dp_amount = rules.payment_for(annual, content.dp_frequency)
        over = plan_total(content.items) > self.budget
        content.justification = (
            "Two carers are needed for moving and handling; the extra cost was agreed with the PHB team."
            if over
            else ""
        )

    def revised(self, source: Content, start: int) -> Content:
        """A new version's content: the source's, with a new start and one change to what the money buys."""
        rng = self.rng
        content = source.copy()
        content.start = start
        content.first_review = start + rng.randint(30, 85)
        content.outcomes = [
            (key, domain, goal, measure, None if rng.random() < 0.3 else start + rng.randint(60, 365))
            for key, domain, goal, measure, _ in source.outcomes
        ]
        items = list(source.items)
        change = rng.random()
        if change < 0.5 or len(items) < 2:
            n = rng.randrange(len(items))
            quantity = max(1, items[n].quantity + rng.choice((-2, -1, 1, 2)))
            if items[n].frequency == rules.Frequency.ONE_OFF:
                quantity = 1
            items[n] = items[n]._replace(quantity=min(quantity, 168))
        elif change < 0.8 and not self.story.bench:
            items.append(self.item(rng.choice(OTHER_TEMPLATES), content.outcomes))
        elif not self.story.bench:
            items.pop(rng.randrange(len(items)))
        content.items = items
        content.agreed_on = content.agreement_method = None
        content.witness = ""
        self.settle_money(content)
        return content

    def agree(self, content: Content, created: int, submitted: int) -> None:
        rng, life = self.rng, self.life
        content.agreed_on = max(created, submitted - rng.randint(0, 5))
        if life.representative and rng.random() < 0.6:
            content.agreement_method = AgreementMethod.REPRESENTATIVE
            content.witness = f"{life.representative[1]} ({life.representative[2].lower()})"
        elif rng.random() < 0.2:
            content.agreement_method = AgreementMethod.VERBAL
            content.witness = f"{rng.choice(fiction.GIVEN_NAMES)} {rng.choice(fiction.FAMILY_NAMES)} (advocate)"
        else:
            content.agreement_method = AgreementMethod.SIGNED
            content.witness = ""

    # The lifecycle, one service at a time

    def start_version(self, moment: int, *, source: Version | None, content: Content, actor, author, reason: str):
        version = Version(len(self.versions) + 1, self.rng)
        version.created, version.actor, version.author, version.origin = moment, actor, author, reason
        version.source, version.content = source, content
        version.revision = self.rng.randint(4, 30)
        self.versions.append(version)
        self.event(moment, version, "", Status.DRAFT, actor, reason)
        if source is None:
            summary = f"Started a support plan on indicative budget {self.budget_number}"
            changes = {"budget_version": [None, self.budget_id]}
        else:
            summary, changes = f"Started version {version.number} of the plan from version {source.number}", None
        self.audit(moment, actor, AuditAction.CREATE, version, summary, changes)
        return version

    def submit(self, version: Version, moment: int) -> None:
        version.submitted = moment
        self.agree(version.content, version.created // DAY, moment // DAY)
        self.event(moment, version, Status.DRAFT, TO_STATUS[Action.SUBMIT], version.author)
        self.audit(
            moment,
            version.author,
            AuditAction.SUBMIT,
            version,
            f"Submitted version {version.number} of the plan to the PHB team",
            moved(Status.DRAFT.value, Status.SUBMITTED.value),
        )

    def decider(self, total: Decimal):
        staff = self.world.staff
        above = self.world.lead_approval_above is not None and total > self.world.lead_approval_above
        return self.rng.choice(staff.leads if above or self.rng.random() < 0.1 else staff.approvers)

    def decide(self, version: Version, moment: int, decision: str) -> None:
        rng = self.rng
        total = plan_total(version.content.items)
        decider = self.decider(total)
        version.decided, version.decider, version.decision = moment, decider, decision
        version.assigned = decider if rng.random() < 0.6 else None
        name = self.life.name
        coordinator = self.coordinator
        if decision == Status.APPROVED:
            version.total = total
            version.conditions = rng.choice(fiction.CONDITIONS)
            version.reason = ""
            self.audit(
                moment,
                decider,
                AuditAction.APPROVE,
                version,
                f"Approved version {version.number} of the plan",
                {"status": [Status.SUBMITTED.value, Status.APPROVED.value], "agreed_annual": [None, str(total)]},
            )
            if not any(r.kind == ReviewKind.SCHEDULED and r.completed is None for r in self.reviews):
                first = version.content.first_review
                self.reviews.append(Review(rng, ReviewKind.SCHEDULED, first, moment, version))
            due = next(r.due for r in self.reviews if r.kind == ReviewKind.SCHEDULED and r.completed is None)
            self.letter(
                moment,
                version,
                LetterKind.APPROVAL,
                decider,
                [
                    "Your personal health budget plan has been approved",
                    f"Version {version.number} of your plan was approved on {long_date(on(moment // DAY))}.",
                    f"The agreed budget is £{total:,} a year, from {long_date(on(version.content.start))}.",
                    f"Your first review is due by {long_date(on(due))}.",
                ],
            )
            subject = f"Plan approved for {name}"
            body = (
                f"{decider.name} approved version {version.number} of {name}'s support plan: £{total:,} a year "
                f"from {long_date(on(version.content.start))}. First review due by {long_date(on(due))}."
            )
            self.event(
                moment,
                version,
                Status.SUBMITTED,
                Status.APPROVED,
                decider,
                version.conditions,
                (coordinator, subject, body),
            )
            return
        version.reason = rng.choice(fiction.RETURN_REASONS if decision == Status.RETURNED else fiction.DECLINE_REASONS)
        label = Status(decision).label
        action = AuditAction.RETURN if decision == Status.RETURNED else AuditAction.DECLINE
        kind = LetterKind.RETURN if decision == Status.RETURNED else LetterKind.DECLINE
        self.audit(
            moment,
            decider,
            action,
            version,
            f"{label} version {version.number} of the plan",
            {"status": [Status.SUBMITTED.value, decision], "reason": [None, version.reason]},
        )
        self.letter(
            moment,
            version,
            kind,
            decider,
            [
                "Your personal health budget plan"
                + (" needs changes" if kind == LetterKind.RETURN else " was not approved"),
                f"Version {version.number} of the plan: {lower_first(label)} on {long_date(on(moment // DAY))}.",
                version.reason,
            ],
        )
        if decision == Status.RETURNED:
            subject = f"Plan returned for changes: {name}"
            body = (
                f"{decider.name} returned version {version.number} of the support plan for changes. "
                f"A new draft is ready for you to change and submit again. Reason: {version.reason}"
            )
        else:
            subject = f"Plan declined: {name}"
            body = f"{decider.name} declined version {version.number} of the support plan. Reason: {version.reason}"
        self.event(moment, version, Status.SUBMITTED, decision, decider, version.reason, (coordinator, subject, body))

    def activate(self, version: Version, moment: int, actor) -> None:
        version.activated, version.activator = moment, actor
        for older in self.versions:
            if older is not version and older.number < version.number and older.status in Status.CURRENT:
                older.closed, older.closed_status, older.closer = moment, Status.SUPERSEDED, actor
                self.event(
                    moment,
                    older,
                    older_status(older),
                    Status.SUPERSEDED,
                    actor,
                    f"Replaced by version {version.number}",
                )
                self.audit(
                    moment,
                    actor,
                    AuditAction.SUPERSEDE,
                    older,
                    f"Version {older.number} replaced by version {version.number}",
                    moved(older_status(older), Status.SUPERSEDED.value),
                )
        self.event(
            moment,
            version,
            Status.APPROVED,
            TO_STATUS[Action.ACTIVATE],
            actor,
            f"Started on {long_date(on(version.content.start))}",
        )
        self.audit(
            moment,
            actor,
            AuditAction.ACTIVATE,
            version,
            f"Version {version.number} of the plan became active",
            moved(Status.APPROVED.value, Status.ACTIVE.value),
        )
        if version.number > 1 and self.in_force:
            self.audit(
                moment + 1, actor, AuditAction.MOVE_REVIEWS, version, f"1 review moved to version {version.number}"
            )
        self.in_force.append((moment // DAY, version))

    def letter(self, moment, version, kind, actor, lines) -> None:
        self.letters.append((moment, version, kind, actor, lines))

    def chain(self, created_day: int, source: Version, *, stop: int, pending_ok: bool, state: str | None = None):
        """A change of the plan from a day: a new version written, submitted and decided (returned first, now
        and then), started if approved. Stops where `stop` (today, or the day the budget was ended) finds it.
        Without pending_ok, a change that would not be settled before `stop` is not made. Returns the day it
        was settled (started, or declined), or None."""
        rng = self.rng
        submitted = created_day + rng.randint(5, 30)
        decided = submitted + rng.randint(1, 14)
        decisions = sorted(Status.DECIDED)
        outcome = state or rng.choices(decisions, [DECISION_WEIGHTS[d] for d in decisions])[0]
        steps = [(outcome, created_day, submitted, decided)]
        if outcome == Status.RETURNED:
            again = decided + rng.randint(3, 14)
            steps.append((Status.APPROVED, decided, again, again + rng.randint(1, 10)))
        last = steps[-1]
        start = last[3] + rng.randint(0, 28) if last[0] == Status.APPROVED else None
        settled = start if start is not None else last[3]
        if not pending_ok and settled >= stop:
            return None
        version = source
        for decision, created, submitted, decided in steps:
            if created >= stop:
                break
            if version is source:
                content = self.revised(source.content, start if start is not None else decided + 14)
                version = self.start_version(
                    self.at(created, 16),
                    source=source,
                    content=content,
                    actor=self.coordinator,
                    author=self.coordinator,
                    reason=f"New version started from version {source.number}",
                )
            else:
                version = self.returned_copy(version)
            if submitted >= stop:
                break
            self.submit(version, self.at(submitted, 11))
            if decided >= stop:
                break
            self.decide(version, self.at(decided, 14), decision)
        if version is not source and version.decision == Status.APPROVED and start < stop:
            activated_now = start <= version.decided // DAY
            moment = version.decided + 60 if activated_now else start * DAY + 900 + rng.randint(0, 1800)
            self.activate(version, moment, version.decider if activated_now else None)
        self.busy_until = settled
        return settled

    def returned_copy(self, returned: Version) -> Version:
        """What plan_return does after returning: a new draft copied from the returned version."""
        content = returned.content.copy()
        content.agreed_on = content.agreement_method = None
        content.witness = ""
        author = self.coordinator
        return self.start_version(
            returned.decided + 30,
            source=returned,
            content=content,
            actor=returned.decider,
            author=author,
            reason=f"Returned by {returned.decider.name}; new draft made for {author.name}",
        )

    # Reviews

    def in_force_on(self, day: int) -> Version | None:
        index = bisect.bisect_right([d for d, _ in self.in_force], day) - 1
        return self.in_force[index][1] if index >= 0 else None

    def complete(self, review: Review, day: int, *, stop: int, pending_ok: bool) -> Review | None:
        """review_complete: the review is recorded on the version in force; a scheduled one books the next
        (before any change of the plan it decides on, as the service does). Returns the next review."""
        rng = self.rng
        review.completed = self.at(day, 15)
        review.completer = self.coordinator
        review.decision = ReviewDecision.CONTINUE
        following = None
        if review.kind == ReviewKind.SCHEDULED:
            due = schedule.next_review_due(on(day), interval_months=self.world.review_interval_months).toordinal()
            following = Review(rng, ReviewKind.SCHEDULED, due, review.completed + 30, self.in_force_on(day))
            self.reviews.append(following)
            review.next_due = due
            if day > self.busy_until and rng.random() < AMEND_AFTER_REVIEW:
                source = self.in_force_on(day)
                if self.chain(day, source, stop=stop, pending_ok=pending_ok) is not None:
                    review.decision = ReviewDecision.AMEND
        else:
            review.next_due = next(
                (
                    r.due
                    for r in self.reviews
                    if r.kind == ReviewKind.SCHEDULED
                    and r.created <= review.completed
                    and (r.completed is None or r.completed > review.completed)
                ),
                day,
            )
        self.last_completed = max(self.last_completed, day)
        return following

    def live(self, *, stop: int, pending_ok: bool) -> None:
        """The plan in force from its first start until `stop`: reviews and the changes they lead to."""
        rng = self.rng
        first = self.in_force[0][0]
        years = (stop - first) / 365
        requests = sorted(
            rng.randint(first + 10, stop - 1)
            for _ in range(int(years * UNSCHEDULED_A_YEAR + rng.random()))
            if stop - 1 > first + 10
        )
        scheduled = next(r for r in self.reviews if r.kind == ReviewKind.SCHEDULED and r.completed is None)
        while True:
            late = rng.randint(40, 200) if rng.random() < 0.06 else rng.randint(-25, 20)
            day = max(scheduled.due + late, self.last_completed + 1, first + 1)
            while requests and requests[0] < min(day, stop):
                self.unscheduled(requests.pop(0), stop=stop, pending_ok=pending_ok)
            if day >= stop:
                break
            scheduled = self.complete(scheduled, day, stop=stop, pending_ok=pending_ok)

    def unscheduled(self, day: int, *, stop: int, pending_ok: bool) -> None:
        rng = self.rng
        version = self.in_force_on(day)
        if version is None:
            return
        requested = self.at(day, 10)
        if any(
            r.kind == ReviewKind.UNSCHEDULED
            and r.created <= requested
            and (r.completed is None or r.completed > requested)
            and (r.cancelled is None or r.cancelled > requested)
            for r in self.reviews
        ):
            return  # review_request finds the review already asked for (one unscheduled review due per plan)
        due = day + self.world.unscheduled_review_days
        review = Review(rng, ReviewKind.UNSCHEDULED, due, requested, version)
        review.reason = rng.choice(UnscheduledReason.values)
        review.note = rng.choice(fiction.UNSCHEDULED_NOTES)
        review.requester = self.coordinator if rng.random() < 0.8 else rng.choice(self.world.staff.approvers)
        self.reviews.append(review)
        self.audit(
            requested,
            review.requester,
            AuditAction.REQUEST_REVIEW,
            version,
            f"Asked for an unscheduled review by {day_text(due)}: {UnscheduledReason(review.reason).label}",
            label="careplans.review",
            object_id=review.id,
        )
        done = day + rng.randint(2, 25)
        if done < stop:
            self.complete(review, done, stop=stop, pending_ok=pending_ok)

    # Ending

    def end(self, day: int, ended_on: int) -> None:
        """plan_end: the version in force ends (at once if the end date has come), reviews still due are
        cancelled and any version not yet in force is withdrawn; then the hourly job finishes it."""
        rng = self.rng
        version = self.in_force_on(day)
        moment = self.at(day, 15)
        ender = self.coordinator if rng.random() < 0.7 else rng.choice(self.world.staff.approvers)
        version.ended, version.ended_on = moment, ended_on
        version.end_reason = rng.choice(EndReason.values)
        version.end_note = rng.choice(fiction.END_NOTES)
        version.unspent = Decimal(f"{rng.randint(0, 3000)}.00") if rng.random() < 0.3 else None
        to_status = Status.ENDED if ended_on <= day else Status.ENDING
        reason = f"{EndReason(version.end_reason).label}. {version.end_note}".strip()
        name = self.life.name
        email = (
            self.coordinator,
            f"Personal health budget ended: {name}",
            f"{ender.name} ended {name}'s personal health budget from {long_date(on(ended_on))}: "
            f"{lower_first(EndReason(version.end_reason).label)}.",
        )
        self.event(moment, version, Status.ACTIVE, to_status, ender, reason, email)
        self.audit(
            moment,
            ender,
            AuditAction.END,
            version,
            f"Ended the personal health budget from {day_text(ended_on)}",
            {"status": [Status.ACTIVE.value, to_status.value], "reason": [None, version.end_reason]},
        )
        cancelled = 0
        for review in self.reviews:
            if review.completed is None and review.cancelled is None:
                review.cancelled = moment
                cancelled += 1
        for other in self.versions:
            if other is not version and other.status in Status.PENDING:
                before = other.status
                other.closed, other.closed_status, other.closer = moment, Status.WITHDRAWN, ender
                self.event(moment, other, before, Status.WITHDRAWN, ender, "The personal health budget ended")
                self.audit(
                    moment,
                    ender,
                    AuditAction.WITHDRAW,
                    other,
                    f"Version {other.number} withdrawn: the budget ended",
                    moved(before, Status.WITHDRAWN.value),
                )
        if cancelled:
            self.audit(
                moment,
                ender,
                AuditAction.CANCEL_REVIEWS,
                version,
                f"{cancelled} review{'s' if cancelled != 1 else ''} cancelled: the budget ended",
            )
        self.letter(
            moment,
            version,
            LetterKind.ENDING,
            ender,
            [
                "Your personal health budget is ending",
                f"Your personal health budget ends on {long_date(on(ended_on))}.",
                f"Reason: {EndReason(version.end_reason).label}.",
            ],
        )
        if to_status == Status.ENDING and ended_on < self.world.anchor:
            version.finished = ended_on * DAY + 600 + rng.randint(0, 1800)
            self.event(
                version.finished, version, Status.ENDING, Status.ENDED, None, f"Ended on {long_date(on(ended_on))}"
            )
            self.audit(
                version.finished,
                None,
                AuditAction.END,
                version,
                f"The personal health budget ended on {day_text(ended_on)}",
                moved(Status.ENDING.value, Status.ENDED.value),
            )

    # The whole story

    def tell(self) -> None:
        story, rng, today = self.story, self.rng, self.world.anchor
        kind = story.kind
        coordinator = self.coordinator
        start = story.start if story.start is not None else today + rng.randint(7, 45)
        content = self.fresh_content(start)
        v1 = self.start_version(
            self.at(story.created, 9),
            source=None,
            content=content,
            actor=coordinator,
            author=coordinator,
            reason="Plan started",
        )
        state = NOT_STARTED.get(kind)
        if state == Status.DRAFT:
            if rng.random() < 0.5:
                self.agree(content, story.created, today - 1)
            return
        if state is not None:
            submitted = story.created + rng.randint(3, 10)
            self.submit(v1, self.at(submitted, 11))
            if state == Status.SUBMITTED:
                return
            decided = min(submitted + rng.randint(1, 14), today - 1)
            self.decide(v1, self.at(decided, 14), state)
            if state == Status.RETURNED:
                self.returned_copy(v1)
            return
        # The first version's way to its start (sometimes returned once on the way).
        version = v1
        if story.returned_on is not None:
            self.submit(v1, self.at(story.first_submitted, 11))
            self.decide(v1, self.at(story.returned_on, 14), Status.RETURNED)
            version = self.returned_copy(v1)
        self.submit(version, self.at(story.submitted, 11))
        self.decide(version, self.at(story.decided, 14), Status.APPROVED)
        if story.start <= story.decided:
            self.activate(version, version.decided + 60, version.decider)
        else:
            self.activate(version, story.start * DAY + 900 + rng.randint(0, 1800), None)
        pending_ok = story.ended_on is not None  # a change on its way when the budget ends is withdrawn
        self.live(stop=story.stop, pending_ok=pending_ok)
        if kind in CHANGE_ON_ITS_WAY or kind == "budget_ended_change_withdrawn":
            self.pending_change(kind, story.stop)
        if story.ended_on is not None:
            self.end(story.stop, story.ended_on)

    def pending_change(self, kind: str, stop: int) -> None:
        """A change still on its way on the day the story stops: being written, waiting, or approved to start."""
        if any(v.status in Status.OPEN for v in self.versions) or any(
            v.status == Status.APPROVED and v.activated is None for v in self.versions
        ):
            return
        rng = self.rng
        state = CHANGE_ON_ITS_WAY.get(kind) or rng.choice(sorted(Status.OPEN))
        # (Every range is drawn, whichever is used, so each kind takes the same draws.)
        back = {
            Status.DRAFT: rng.randint(1, 25),
            Status.SUBMITTED: rng.randint(20, 30),
            Status.APPROVED: rng.randint(45, 60),
        }
        back = back[state]
        created = max(stop - back, self.busy_until + 1, self.in_force[-1][0] + 1, self.last_completed)
        if created >= stop:
            return
        source = self.in_force[-1][1]
        content = self.revised(source.content, stop + rng.randint(3, 40))
        version = self.start_version(
            self.at(created, 16),
            source=source,
            content=content,
            actor=self.coordinator,
            author=self.coordinator,
            reason=f"New version started from version {source.number}",
        )
        if state == Status.DRAFT:
            return
        submitted = min(created + rng.randint(2, 10), stop - 1)
        if submitted <= created:
            return
        self.submit(version, self.at(submitted, 11))
        if state == Status.APPROVED:
            decided = min(submitted + rng.randint(1, 10), stop - 1)
            if decided > submitted:
                self.decide(version, self.at(decided, 14), Status.APPROVED)

    # Rows

    def write(self) -> "Summary":
        batch, world, life, rng = self.batch, self.world, self.life, self.rng
        first = self.versions[0]
        batch.plans.add(self.plan_id, life.id, first.actor.id, stamp(first.created))
        for version in self.versions:
            self.write_version(version)
        for moment, version, before, after, actor, reason, email in sorted(self.events, key=lambda e: e[0]):
            event_id = world.counters.plan_event
            world.counters.plan_event += 1
            batch.events.add(event_id, version.id, stamp(moment), actor.id if actor else None, before, after, reason)
            if email:
                to, subject, body = email
                sent = moment + rng.randint(30, 600)
                batch.emails.add(
                    event_id,
                    to.email,
                    subject,
                    body,
                    stamp(moment),
                    stamp(moment),
                    stamp(sent - 2),
                    stamp(sent),
                    1,
                    None,
                    None,
                    "",
                )
        for moment, version, kind, actor, lines in self.letters:
            header = [world.organisation, long_date(on(moment // DAY)), "", f"Dear {life.name}", ""]
            batch.letters.add(
                random_uuid(rng),
                life.id,
                version.id,
                kind,
                letter_pdf(header + lines),
                actor.id if actor else None,
                stamp(moment),
            )
        for moment, actor, action, label, object_id, summary, changes in self.audits:
            batch.record(moment, actor, action, label, object_id, life.id, summary, changes)
        for review in self.reviews:
            self.write_review(review)
        return Summary(self)

    def write_version(self, version: Version) -> None:
        wave = self.batch.wave(version.number)
        content = version.content
        status = version.status
        submitted = version.submitted
        updated = submitted if submitted is not None else version.created + 3600 * 2
        wave.versions.add(
            version.id,
            self.plan_id,
            version.number,
            Status.DRAFT.value,
            self.budget_id,
            day_text(content.start) if content.start is not None else None,
            content.what_matters,
            content.about_me,
            content.helped_by,
            content.coordinator.id,
            content.health_monitor,
            day_text(content.first_review),
            content.review_method,
            content.notice,
            content.risks,
            content.contingency,
            content.dp_recipient,
            content.dp_name,
            content.dp_amount,
            content.dp_frequency,
            day_text(content.agreed_on) if content.agreed_on else None,
            content.agreement_method or "",
            content.witness,
            content.justification,
            version.revision,
            version.author.id,
            stamp(version.created),
            version.author.id,
            stamp(updated),
            stamp(submitted) if submitted is not None else None,
            version.author.id if submitted is not None else None,
            version.assigned.id if version.assigned else None,
            version.decider.id if version.decider else None,
            stamp(version.decided) if version.decided is not None else None,
            version.reason or "",
            version.conditions or "",
            version.total,
            day_text(version.ended_on) if version.ended_on is not None else None,
            version.end_reason or "",
            version.end_note or "",
            version.unspent,
        )
        if status != Status.DRAFT:
            wave.moves.append(f"{version.id}\t{status}")
        made = stamp(version.created + 600)
        version.outcome_ids = {}
        for key, domain, goal, measure, target in content.outcomes:
            outcome_id = random_uuid(self.rng)
            version.outcome_ids[key] = (outcome_id, domain)
            wave.outcomes.add(
                outcome_id, version.id, key, domain, goal, measure, day_text(target) if target else None, made
            )
        for item in content.items:
            item_id = random_uuid(self.rng)
            wave.items.add(item_id, version.id, *item[:-1], made)
            for outcome_key in item.outcome_keys:
                wave.links.add_cells(f"{item_id}\t{version.outcome_ids[outcome_key][0]}")

    def write_review(self, review: Review) -> None:
        """The review as it stands: done, cancelled, or still due; what it found, and its reminders.
        (The busiest rows of the run, so they are put together as text here.)"""
        batch, life = self.batch, self.life
        chance = self.rng.random
        if review.completed is not None:
            day, status = review.completed // DAY, ReviewStatus.COMPLETED.value
        elif review.cancelled is not None:
            day, status = review.cancelled // DAY, ReviewStatus.CANCELLED.value
        else:
            day, status = self.world.anchor, ReviewStatus.DUE.value
        version = self.in_force_on(day) or review.creator_version
        requester = review.requester.id if review.requester else NULL
        head = (
            f"{review.id}\t{self.plan_id}\t{version.id}\t{review.kind}\t{day_text(review.due)}\t{status}\t"
            f"{review.reason}\t{review.note}\t{requester}\t{stamp(review.created)}"
        )
        if status != ReviewStatus.COMPLETED:
            batch.reviews.add_cells(f"{head}\t\\N\t\\N\t\\N\t\t\\N\t\t\t\t")
            self.write_reminders(review, review.cancelled)
            return
        money, use, safety = (pick_fast(chance, REVIEW_NOTES[part]) for part in ("money", "use", "safety"))
        batch.reviews.add_cells(
            f"{head}\t{day_text(day)}\t{review.completer.id}\t{'t' if chance() < 0.85 else 'f'}\t{money}\t"
            f"{'t' if chance() < 0.9 else 'f'}\t{use}\t{safety}\t{pick_fast(chance, SATISFACTION)}\t{review.decision}"
        )
        domains = set()
        for outcome_id, domain in version.outcome_ids.values():
            progress, words = pick_fast(chance, PROGRESS), pick_fast(chance, fiction.PROGRESS_WORDS)
            batch.review_outcomes.add_cells(f"{review.id}\t{outcome_id}\t{progress}\t{words}")
            domains.add(domain)
        for domain in sorted(domains):
            batch.ratings.add_cells(f"{review.id}\t{domain}\t{pick_fast(chance, CHANGES)}")
        batch.record(
            review.completed,
            review.completer,
            AuditAction.RECORD_REVIEW,
            "careplans.review",
            review.id,
            life.id,
            f"Recorded the review: {ReviewDecision(review.decision).label}. Next review due by "
            f"{day_text(review.next_due)}",
            RECORDED[review.decision],
        )
        self.write_reminders(review, review.completed)

    def write_reminders(self, review: Review, until: int | None) -> None:
        """The rows the sweep inserted while the review was waiting (see careplans.reminders), sent by the
        outbox; of the last two days', one in five still waiting for the worker and a few being tried again;
        a very few failed."""
        world, rng, life = self.world, self.rng, self.life
        cutoff = world.anchor - world.unswept_days
        for kind, (opens, closes) in schedule.WINDOWS.items():
            if kind in schedule.TO_PERSON and not (life.wants_reminders and life.email):
                continue
            opened = review.due + opens
            if opened > review.created // DAY:
                moment = opened * DAY + 300 + rng.randint(0, 600)
            else:
                moment = review.created + 300 + rng.randint(0, 600)
            if closes is not None and moment // DAY >= review.due + closes:
                continue
            if moment // DAY >= cutoff or (until is not None and moment >= until):
                continue
            chance = rng.random()
            recent = moment // DAY >= world.anchor - 2 and until is None
            created = stamp(moment)
            if chance < 0.0002:
                failed = moment + 10 * 3600
                state = f"\\N\t\\N\t\\N\t{world.max_attempts}\t{stamp(failed - 3600)}\t{stamp(failed)}\t{REFUSED}"
            elif recent and chance < 0.2:
                state = "\\N\t\\N\t\\N\t0\t\\N\t\\N\t"
            elif recent and chance < 0.22:
                tries = rng.randint(1, 3)
                state = f"\\N\t\\N\t\\N\t{tries}\t{stamp(moment + 300 * 2**tries)}\t\\N\t{REFUSED}"
            else:
                sent = moment + rng.randint(5, 300)
                state = f"{created}\t{stamp(sent - 1)}\t{stamp(sent)}\t1\t\\N\t\\N\t"
            self.batch.reminders.add_cells(f"{review.id}\t{kind}\t{created}\t{state}")


def older_status(version: Version) -> str:
    return Status.ACTIVE if version.activated is not None else Status.APPROVED


class Summary:
    """What the portal needs to know about the plan once it is written."""

    def __init__(self, writer: PlanWriter):
        agreed = [v for v in writer.versions if v.status in Status.AGREED]
        self.agreed = bool(agreed)
        self.coordinator = writer.coordinator
        self.since = min((v.decided for v in agreed), default=None)
