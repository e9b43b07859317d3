"""The generator: a national-scale data set, written batch by batch with COPY, with every trigger on.

`run` sets up what the people share (cohorts, tariffs, teams and staff), then writes people in batches,
each in its own transaction: a person's whole journey (see journey, plans, online) goes into the batch's
tables, and the batch is sent in an order the foreign keys and triggers accept. Every batch ends by
checking its deferred constraints, so a mistake stops the run at the batch that made it (the batches
before it stay: start again from an empty database).

A forked process makes the batches while two threads here send them, each on its own connection, so the
Python work and PostgreSQL's use both cores. Inside a transaction (the tests) one thread does both.

Reproducible: each person's rows come from their own random generator, seeded from (--seed, their
number), every date is counted from the anchor day, and every id is given by the generator. The same
seed and anchor on an empty database give the same records, ids included (not the password hash: it is
salted).
"""

import datetime
import json
import multiprocessing
import queue
import random
import threading
import time
import traceback
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from budgets import calculate
from budgets.models import AssessmentNeed, BudgetVersion, Tariff
from budgets.services import supersede_awaiting
from careplans.models import DecisionEmail, PlanEvent, ReviewDomainRating, ReviewOutcome, ReviewReminder, SupportItem
from eligibility.models import Decision, IPCCohort, Screening
from people import nhs_number
from people.models import CareTeam, Person, PortalAccess, User
from phb.models import AuditAction, AuditEvent
from scale import journey, online, plans, staff
from scale.batch import AUDIT_FIELDS, DAY, Batch, Counters, World, send, stamp
from scale.copy import Table, m2m_table, next_id, reset_sequence
from scale.progress import Progress

# The first people cover every stage and every kind of plan, so even a small run has each of them.
COVERAGE = [(stage, None) for stage, _ in journey.STAGES if stage != "plan"] + [
    ("plan", kind) for kind, _ in plans.PLAN_KINDS
]
FIRST_SERIAL = 10_000  # clear of the demo data's and the test factories' NHS numbers
EXTRA_COHORTS = (
    ("dementia-at-home", "People with dementia living at home (pilot: each referral decided by the PHB team)", True),
    ("carers-pilot-2014", "Carers of people at the end of life (2014 pilot, no longer offered)", False),
)


@dataclass
class Report:
    people: int
    seconds: float
    rows: dict[str, int]


def fictional_nhs_numbers(count: int, rng: random.Random) -> list[str]:
    """`count` valid NHS numbers from the 999 test range: people.nhs_number.test_range_number's, from the
    block of FIRST_SERIAL on, none already in the database, in a seeded order."""
    taken = set(Person.objects.filter(nhs_number__startswith="999").values_list("nhs_number", flat=True))
    numbers = []
    block = FIRST_SERIAL // 9
    while len(numbers) < count:
        if block > 99999:
            raise ValueError("The 999 test range has no more numbers.")
        valid = []
        for ninth in range(10):
            first_nine = f"999{block:05d}{ninth}"
            digit = nhs_number.check_digit(first_nine)
            if digit is not None:
                valid.append(first_nine + str(digit))
        # test_range_number takes the first nine of each block.
        numbers += [number for number in valid[:9] if number not in taken]
        block += 1
    numbers = numbers[:count]
    rng.shuffle(numbers)
    return numbers


def _cohorts(anchor: datetime.date) -> dict:
    """The IPC cohorts screenings may name; one that needs a decision and one retired are added if missing."""
    for position, (code, name, needs_decision) in enumerate(EXTRA_COHORTS, start=50):
        retired = datetime.date(anchor.year - 12, 4, 1) if code == "carers-pilot-2014" else None
        if not IPCCohort.objects.filter(code=code).exists():
            IPCCohort.objects.create(
                id=next_id(IPCCohort),  # given, so a run after a rolled-back one gets the same ids
                code=code,
                name=name,
                needs_decision=needs_decision,
                position=position,
                retired_on=retired,
            )
    return {
        c.code: (c.id, c.name, c.needs_decision, c.retired_on is not None and c.retired_on <= anchor)
        for c in IPCCohort.objects.order_by("position", "code")
    }


def _tariffs(anchor: datetime.date, lead, cursor) -> list[journey.Tariff]:
    """A tariff from each April of the last twelve years (those not already there), and every tariff as the
    budget calculation reads it."""
    existing = set(Tariff.objects.values_list("effective_from", flat=True))
    table = Table(
        Tariff,
        [
            "id",
            "effective_from",
            "price_per_point",
            "points",
            "notes",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "version",
        ],
    )
    audit = Table(AuditEvent, AUDIT_FIELDS, numbered=True)
    audit.counter = [next_id(AuditEvent)]
    tariff_id = next_id(Tariff)
    for year in range(anchor.year - 12, anchor.year + 1):
        starts = datetime.date(year, 4, 1)
        if starts in existing or starts > anchor:
            continue
        price = Decimal(180 + 5 * (year - anchor.year + 12)).quantize(Decimal("0.01"))
        points = {d: dict(journey.TARIFF_POINTS) for d in journey.DOMAINS}
        moment = stamp((starts.toordinal() - 30) * DAY + 10 * 3600)
        table.add(
            tariff_id, starts, price, points, f"Tariff for {year} to {year + 1}", lead.id, moment, lead.id, moment, 1
        )
        audit.add(
            moment,
            lead.id,
            lead.username,
            lead.role,
            AuditAction.CREATE,
            "budgets.tariff",
            str(tariff_id),
            None,
            f"Set up the tariff from {starts}",
            {"effective_from": [None, starts.isoformat()]},
            "",
        )
        tariff_id += 1
    table.flush(cursor)
    audit.flush(cursor)
    tariffs = []
    for tariff in Tariff.objects.order_by("effective_from"):
        tariff_input = calculate.TariffInput(
            price_per_point=tariff.price_per_point,
            points={
                calculate.Domain(d): {calculate.NeedLevel(level): int(p) for level, p in levels.items()}
                for d, levels in tariff.points.items()
            },
        )
        text = json.dumps(
            {
                "effective_from": tariff.effective_from.isoformat(),
                "price_per_point": str(tariff.price_per_point),
                "points": tariff.points,
            }
        )
        tariffs.append(
            journey.Tariff(tariff.id, tariff.effective_from.toordinal(), tariff.price_per_point, tariff_input, text)
        )
    return tariffs


def live(world: World, batch: Batch, index: int) -> None:
    """One person's rows: who they are, their screenings, assessments, budgets, plan and online access."""
    rng = random.Random((world.seed << 24) + index)  # noqa: S311 (test data, not secrets)
    bench = index == world.staff.patient_person
    if index < len(COVERAGE):
        stage, kind = COVERAGE[index]
    elif bench:
        stage, kind = "plan", "running"
    else:
        stage = journey.pick(rng, journey.STAGES)
        kind = plans.draw_kind(rng) if stage == "plan" else None
    life = journey.new_life(world, index, rng, stage=stage, plan_kind=kind)
    life.route = "chc" if bench else journey.choose_route(life)
    story = plans.Story(world, kind, rng, bench=bench) if kind else None
    today = world.anchor

    # The days of the journey, counted back from the latest.
    budget_day = {
        "budget_awaiting": today - rng.randint(1, 40),
        "budget_returned": today - rng.randint(12, 200),
        "budget_ready": today - rng.randint(12, 400),
    }.get(stage)
    if story:
        budget_day = story.created - rng.randint(14, 45)
    assessed = budget_day - rng.randint(0, 14) if budget_day else None
    if stage == "assessed":
        assessed = today - rng.randint(1, 90)
    older_budget = older_assessed = None
    if budget_day and rng.random() < 0.12:
        older_budget = assessed - rng.randint(30, 200)
        older_assessed = older_budget - rng.randint(0, 14)
    first_assessed = older_assessed or assessed
    screened = None
    if first_assessed:
        screened = first_assessed - rng.randint(7, 60)
    elif stage == "eligible":
        screened = today - rng.randint(1, 120)
    elif stage == "referral_waiting":
        screened = today - rng.randint(1, 45)
    elif stage in ("referral_declined", "not_eligible"):
        screened = today - rng.randint(20, 1500)
    earlier = screened - rng.randint(30, 300) if screened and life.route == "chc" and rng.random() < 0.15 else None
    first_seen = earlier or screened or today - rng.randint(1, 60)
    life.created = first_seen - rng.randint(0, 30)
    journey.describe_person(life, first_seen)

    if earlier:
        journey.write_screening(world, batch, life, "chc_inpatient", earlier)
    if screened:
        decision = {"referral_waiting": Decision.AWAITING, "referral_declined": Decision.DECLINED}.get(
            stage, Decision.APPROVED
        )
        journey.write_screening(
            world, batch, life, life.route, screened, decision=decision, latest=(first_assessed or today) - 1
        )
    engagement, number, budget = "", 0, None
    if older_assessed:
        assessment = journey.write_assessment(world, batch, life, older_assessed, first=True)
        engagement, number = assessment[3], 1
        journey.write_budget(
            world,
            batch,
            life,
            number=1,
            assessment=assessment,
            day=older_budget,
            state=rng.choice(("usable", "returned", "awaiting")),
            decided_before=assessed,
        )
    if assessed:
        assessment = journey.write_assessment(world, batch, life, assessed, first=not older_assessed)
        engagement = assessment[3]
        if budget_day:
            number += 1
            state = {"budget_awaiting": "awaiting", "budget_returned": "returned"}.get(stage, "usable")
            budget = journey.write_budget(
                world,
                batch,
                life,
                number=number,
                assessment=assessment,
                day=budget_day,
                state=state,
                decided_before=story.created if story else None,
            )
    journey.write_person(world, batch, life, engagement=engagement)
    plan = None
    if story:
        budget_id, figures = budget
        writer = plans.PlanWriter(world, batch, life, story, budget_id, number, figures.annual)
        writer.tell()
        plan = writer.write()
    online.write(world, batch, life, plan, bench=bench)


def _batches(world: World, people: int, batch_size: int):
    """(people in the batch, its rows to send) for each batch, in order."""
    for first in range(0, people, batch_size):
        last = min(first + batch_size, people)
        batch = Batch(world.counters)
        for index in range(first, last):
            live(world, batch, index)
        yield last - first, batch.payload()


def _generate(world: World, people: int, batch_size: int, queue) -> None:
    try:
        for item in _batches(world, people, batch_size):
            queue.put(item)
        queue.put(None)
    except BaseException:  # noqa: BLE001 (handed to the parent, which stops with it)
        queue.put(traceback.format_exc())


def _in_other_process(world: World, people: int, batch_size: int):
    """The batches, made by a forked process (it touches no database) up to two batches ahead. Starts it now,
    before any thread does, so the fork copies one thread."""
    context = multiprocessing.get_context("fork")
    channel = context.Queue(maxsize=2)
    connection.close()  # the child must not share this process's connection
    process = context.Process(target=_generate, args=(world, people, batch_size, channel), daemon=True)
    process.start()

    def receive():
        try:
            while (item := channel.get()) is not None:
                if isinstance(item, str):
                    raise RuntimeError(f"Making the rows failed:\n{item}")
                yield item
        finally:
            if process.is_alive():
                process.kill()
            process.join()

    return receive()


def _write(payload: list) -> dict[str, int]:
    """One batch in one transaction, its deferred foreign keys checked before it commits."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        counts = send(payload, cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return counts


# The tables the journey facts' triggers read (casework.facts.SOURCES, with plans and people). While they grow
# from nothing, autovacuum's statistics lag behind: planned from a table a twentieth of its size, the facts of a
# batch's 5,000 people took 6 minutes (a hash of every plan version for each person) instead of a second.
GROWING = (
    "people_person",
    "eligibility_screening",
    "budgets_assessment",
    "budgets_budgetversion",
    "careplans_supportplan",
    "careplans_planversion",
    "careplans_review",
)


def _analyse_growing() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(GROWING)}")


class Writers:
    """Threads that write batches at the same time, each on its own connection (PostgreSQL then uses more
    than one core). Rows carry their ids already, so the order batches commit in changes nothing."""

    def __init__(self, count: int, progress: Progress):
        self.work: queue.Queue = queue.Queue(maxsize=count)
        self.progress = progress
        self.rows: dict[str, int] = {}
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def _run(self) -> None:
        try:
            while (item := self.work.get()) is not None:
                count, payload = item
                if self.errors:
                    continue
                written = _write(payload)
                _analyse_growing()
                with self.lock:
                    for table, rows in written.items():
                        self.rows[table] = self.rows.get(table, 0) + rows
                    self.progress.advance(count)
        except BaseException as error:  # noqa: BLE001 (raised again by finish, in the main thread)
            self.errors.append(error)
            while self.work.get() is not None:
                pass
        finally:
            connection.close()

    def put(self, item) -> None:
        while not self.errors:
            try:
                self.work.put(item, timeout=1)
                return
            except queue.Full:
                continue
        raise self.errors[0]

    def finish(self) -> dict[str, int]:
        for _ in self.threads:
            self.work.put(None)
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]
        return self.rows


def _write_all(world: World, people: int, batch_size: int, progress: Progress, writers: int) -> dict[str, int]:
    """Every batch. A forked process makes the rows while threads here send them, unless the caller holds a
    transaction (a test): then this thread does both, so everything stays inside that transaction."""
    if connection.in_atomic_block:
        rows: dict[str, int] = {}
        for count, payload in _batches(world, people, batch_size):
            for table, written in _write(payload).items():
                rows[table] = rows.get(table, 0) + written
            progress.advance(count)
        return rows
    batches = _in_other_process(world, people, batch_size)
    pool = Writers(writers, progress)
    try:
        for item in batches:
            pool.put(item)
    finally:
        batches.close()
        rows = pool.finish()
    return rows


NUMBERED = (
    AssessmentNeed,
    AuditEvent,
    DecisionEmail,
    PortalAccess,
    ReviewDomainRating,
    ReviewOutcome,
    ReviewReminder,
    Screening.cohorts.through,
    SupportItem.outcomes.through,
)


def run(
    *,
    people: int,
    seed: int,
    anchor: datetime.date,
    password: str,
    unswept_days: int = 0,
    batch_size: int = 5000,
    writers: int = 2,
    stream=None,
) -> Report:
    started = time.monotonic()
    progress = Progress(people, label="people", stream=stream)
    progress.say(f"Setting up {people:,} people (seed {seed}, anchor {anchor})")
    password_hash = make_password(password)
    with transaction.atomic(), connection.cursor() as cursor:
        cohorts = _cohorts(anchor)
        staffing = staff.build(
            people=people, seed=seed, anchor=anchor, password_hash=password_hash, covered=len(COVERAGE), cursor=cursor
        )
        tariffs = _tariffs(anchor, staffing.leads[0], cursor)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    counters = Counters(user=next_id(User), plan_event=next_id(PlanEvent))
    counters.tables = {model._meta.db_table: [next_id(model)] for model in NUMBERED}
    world = World(
        seed=seed,
        anchor=anchor.toordinal(),
        unswept_days=unswept_days,
        password_hash=password_hash,
        staff=staffing,
        counters=counters,
        tariffs=tariffs,
        cohorts=cohorts,
        nhs_numbers=fictional_nhs_numbers(people, random.Random(seed)),  # noqa: S311 (test data, not secrets)
        max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        lead_approval_above=settings.PLAN_LEAD_APPROVAL_ABOVE,
        first_review_months=settings.PLAN_FIRST_REVIEW_WITHIN_MONTHS,
        review_interval_months=settings.PLAN_REVIEW_INTERVAL_MONTHS,
        unscheduled_review_days=settings.PLAN_UNSCHEDULED_REVIEW_DAYS,
        organisation=settings.ORGANISATION_NAME,
    )
    world.caches["profiles"] = journey.needs_profiles(random.Random(seed + 1))  # noqa: S311
    rows = _write_all(world, people, batch_size, progress, writers)
    for model in (User, CareTeam, PlanEvent, Tariff, IPCCohort, m2m_table(User, "teams"), *NUMBERED):
        reset_sequence(model)
    # As the service does when a newer budget is worked out: earlier ones still waiting leave the queue.
    supersede_awaiting(BudgetVersion.objects.all())
    progress.say("Analysing the tables for the query planner")
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("ANALYZE")
        else:
            # As autovacuum would have by the time anyone used the data: moving versions on from draft and budgets
            # on from awaiting sign-off leaves dead rows in the partial indexes the queues walk (the PHB team's
            # sign-off count read 7,000 pages of them for 100 rows before this: 16 ms, and 0.9 ms after).
            cursor.execute("VACUUM (ANALYZE)")
    progress.say("Done")
    return Report(people=people, seconds=time.monotonic() - started, rows=rows)
