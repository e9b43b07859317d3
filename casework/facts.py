"""Each person's journey facts, kept in casework_journeyfacts by PostgreSQL triggers.

The stage (casework.stages.stage_of) reads a dozen facts about a person: their latest screening, budget, plan
versions and reviews. Worked out on every read, a list sorted or filtered by stage worked them out for every
person it passed (600 sets for a team, all 200,000 for a stage over everyone). So they are kept: none of them
depends on the date (a version is kept as the date it is in force from, an approved version as its start
date), and the stage is worked out from them for whatever day is asked (casework.selectors.with_stage).

How they are kept true, whatever writes (a service, a test's factory, the admin, seed_scale's COPY):
- After every statement that inserts, changes or deletes rows of a table the facts come from (SOURCES), a
  trigger works out the facts again for the people those rows belong to, in the same transaction, so a page
  read after a change sees it. The facts are one query over the people (`facts_query`): the ORM's own SQL
  for the apps' own rules (eligibility.models.eligible_q, budgets.selectors.latest_sign_off,
  careplans.models.in_force_from), with its values written in.
- A migration passes that SQL as it was when the migration was written (migrations are history);
  casework/tests/test_facts.py compares the function in the database with `select_sql` today, so a change
  to a rule the facts read fails the tests until a migration writes the function again and works out
  everyone's facts afresh (`refresh_everyone_sql`).

A migration imports this module, so it reads no model at import time.
"""

TABLE = "casework_journeyfacts"
REFRESH_FUNCTION = "casework_journey_refresh"
CHANGED_FUNCTION = "casework_journey_changed"
GONE_FUNCTION = "casework_journey_person_gone"
FIRST_AFTER_FUNCTION = "casework_first_after"

# The kept facts, in the order of the table's columns after person_id (casework.models.JourneyFacts).
FACTS = (
    "screened",
    "route",
    "assessed",
    "sign_off",
    "ending_on",
    "in_force_from",
    "approved_starts",
    "submitted",
    "draft",
    "returned",
    "review_on",
    "ended",
    # The day the person came to the stage they are at (reports.dashboard's days at each stage), for the stages
    # whose start is a record's date: kept so that counting everyone's days is one pass over these rows.
    "screened_on",
    "assessed_on",
    "budget_since",
    "draft_since",
    "returned_on",
    "submitted_on",
    "approved_decided",
)

# The facts the stage rule reads (casework.stages.Facts); the rest say since when (reports.dashboard).
SINCE_FACTS = ("screened_on", "assessed_on", "budget_since", "draft_since", "returned_on", "submitted_on")

# The tables the facts come from, and how one of their rows names its person: its own person_id, or its
# plan's (careplans_supportplan.person_id).
SOURCES = {
    "eligibility_screening": "person",
    "budgets_assessment": "person",
    "budgets_budgetversion": "person",
    "careplans_planversion": "plan",
    "careplans_review": "plan",
}

# The columns of each source the facts read (with its id). An UPDATE that changes none of them (a coordinator
# writing the plan's words, an assessment's needs, a review's notes) leaves the facts as they were, so the trigger
# works nothing out for it. casework/tests/test_facts.py asks PostgreSQL which columns the facts' SELECT reads
# and fails when this list and it differ.
WATCHED = {
    "eligibility_screening": ("person_id", "screened_on", "created_at", "outcome", "decision", "route"),
    "budgets_assessment": ("person_id", "assessed_on"),
    "budgets_budgetversion": ("person_id", "number", "sign_off", "created_at", "signed_off_at"),
    "careplans_planversion": (
        "plan_id",
        "number",
        "status",
        "start_date",
        "ended_on",
        "budget_version_id",
        "created_at",
        "decided_at",
        "submitted_at",
    ),
    "careplans_review": ("plan_id", "status", "due_on"),
}

# The people whose facts are worked out: the refresh function's argument, as the facts query names it.
PEOPLE_ARGUMENT = "person_ids"


def facts_query():
    """People with each fact as an annotation of the same name, for every person (the refresh function narrows
    it to the people changed)."""
    from people.models import Person

    return Person.objects.annotate(**facts_expressions())


def facts_expressions() -> dict:
    """Each fact as an expression on a query of people: what the refresh function keeps, and what a database
    without the triggers (make run's SQLite) works out on every read instead (casework.selectors)."""
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import Case, CharField, DateField, Exists, F, OuterRef, Subquery, Value, When
    from django.db.models.functions import Coalesce

    from budgets.models import Assessment, BudgetVersion
    from budgets.selectors import latest_sign_off
    from careplans.models import PlanVersion, Review, ReviewStatus, Status, in_force_from
    from casework.stages import Screened
    from casework.trays import local_date
    from eligibility.models import Decision, Screening, eligible_q

    versions = PlanVersion.objects.filter(plan__person=OuterRef("pk"))
    latest_screening = Screening.objects.filter(person=OuterRef("pk")).order_by("-screened_on", "-created_at")
    screened = latest_screening.annotate(
        result=Case(
            When(eligible_q(), then=Value(Screened.ELIGIBLE.value)),
            When(decision=Decision.AWAITING, then=Value(Screened.REFERRED.value)),
            default=Value(Screened.NOT_ELIGIBLE.value),
            output_field=CharField(),
        )
    )
    returned_just_before = PlanVersion.objects.filter(
        plan=OuterRef("plan"), number=OuterRef("number") - 1, status=Status.RETURNED
    )
    approved = versions.filter(status=Status.APPROVED, start_date__isnull=False).order_by("start_date", "pk")
    latest_budget_id = (
        BudgetVersion.objects.filter(person_id=OuterRef(OuterRef("pk"))).order_by("-number").values("pk")[:1]
    )
    facts = {
        "screened": Subquery(screened.values("result")[:1], output_field=CharField()),
        "route": Subquery(latest_screening.values("route")[:1], output_field=CharField()),
        "assessed": Exists(Assessment.objects.filter(person=OuterRef("pk"))),
        "sign_off": latest_sign_off(),
        "ending_on": Subquery(
            versions.filter(status=Status.ENDING).order_by("ended_on").values("ended_on")[:1], output_field=DateField()
        ),
        "in_force_from": Subquery(
            versions.annotate(from_day=in_force_from())
            .filter(from_day__isnull=False)
            .order_by("from_day")
            .values("from_day")[:1],
            output_field=DateField(),
        ),
        "approved_starts": ArraySubquery(approved.values("start_date")),
        "submitted": Exists(versions.filter(status=Status.SUBMITTED)),
        "draft": Exists(versions.filter(status__in=Status.EDITABLE)),
        "returned": Exists(versions.filter(status__in=Status.EDITABLE).filter(Exists(returned_just_before))),
        "review_on": Subquery(
            Review.objects.filter(plan__person=OuterRef("pk"), status=ReviewStatus.DUE)
            .order_by("due_on")
            .values("due_on")[:1],
            output_field=DateField(),
        ),
        # Ended on the person's latest budget: a newer budget starts a new journey.
        "ended": Exists(versions.filter(status=Status.ENDED, budget_version_id=Subquery(latest_budget_id))),
        "screened_on": Subquery(latest_screening.values("screened_on")[:1], output_field=DateField()),
        "assessed_on": Subquery(
            Assessment.objects.filter(person=OuterRef("pk")).order_by("-assessed_on").values("assessed_on")[:1],
            output_field=DateField(),
        ),
        # Waiting for sign-off since it was worked out; ready to tell since it was signed off (or worked out,
        # when it needed no sign-off): the one day either way.
        "budget_since": _latest_day(
            BudgetVersion.objects.filter(person=OuterRef("pk")), Coalesce("signed_off_at", "created_at"), "-number"
        ),
        "draft_since": _latest_day(versions.filter(status__in=Status.EDITABLE), "created_at", "-created_at"),
        "returned_on": _latest_day(
            versions.filter(status=Status.RETURNED), "decided_at", F("decided_at").desc(nulls_last=True)
        ),
        "submitted_on": _latest_day(versions.filter(status=Status.SUBMITTED), "submitted_at", "submitted_at"),
        # The day each of approved_starts was approved, in the same order.
        "approved_decided": ArraySubquery(approved.values(day=local_date("decided_at"))),
    }
    assert tuple(facts) == FACTS
    return facts


def _latest_day(queryset, moment, *order):
    """The day the first row of `queryset` in `order` was at `moment`, as a date subquery."""
    from django.db.models import DateField, Subquery

    from casework.trays import local_date

    return Subquery(queryset.order_by(*order).values(day=local_date(moment))[:1], output_field=DateField())


def select_sql(cursor) -> str:
    """The facts of the people in the refresh function's argument, as one SELECT with its values written in
    (psycopg2's own quoting of the ORM's parameters: statuses, dates), its columns person_id then FACTS.
    `cursor`: a Django cursor on PostgreSQL."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    query = (
        facts_query()
        .filter(pk__in=RawSQL(f"SELECT unnest({PEOPLE_ARGUMENT})", ()))  # noqa: S611 (no input)
        .values("pk", *FACTS)
        .order_by()
    )
    sql, params = query.query.get_compiler(connection=connection).as_sql()
    return cursor.cursor.mogrify(sql, params).decode()


def create_sql(select: str, facts: tuple[str, ...] = FACTS, watched: dict | None = None) -> str:
    """The functions and triggers that keep the facts, from the facts' SELECT (`select_sql`), its columns `facts`
    and the columns each source's UPDATE must change to work them out again (`watched`, WATCHED unless given). A
    migration passes all three as they were when it was written."""
    watched = WATCHED if watched is None else watched
    columns = ", ".join(("person_id", *facts))
    updates = ", ".join(f"{fact} = EXCLUDED.{fact}" for fact in facts)
    triggers = []
    changed_functions = "\n\n".join(_changed_function_sql(table, watched[table]) for table in SOURCES)
    for table in SOURCES:
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            name = f"{table}_journey_{event.lower()}"
            triggers.append(
                f"""DROP TRIGGER IF EXISTS {name} ON {table};
CREATE TRIGGER {name}
    AFTER {event} ON {table} REFERENCING {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {changed_function(table)}();"""
            )
    all_triggers = "\n".join(triggers)
    return f"""
CREATE OR REPLACE FUNCTION {FIRST_AFTER_FUNCTION}(days date[], after date) RETURNS date AS $$
    SELECT min(day) FROM unnest(days) AS day WHERE day > after
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

CREATE OR REPLACE FUNCTION {REFRESH_FUNCTION}({PEOPLE_ARGUMENT} uuid[]) RETURNS void AS $$
BEGIN
    INSERT INTO {TABLE} ({columns})
    {select}
    ON CONFLICT (person_id) DO UPDATE SET {updates};
END;
$$ LANGUAGE plpgsql;

{changed_functions}

{all_triggers}

-- One function a table since migration casework 0003; before it, one for every table.
DROP FUNCTION IF EXISTS {CHANGED_FUNCTION}();

CREATE OR REPLACE FUNCTION {GONE_FUNCTION}() RETURNS trigger AS $$
BEGIN
    DELETE FROM {TABLE} WHERE person_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS people_person_journey_gone ON people_person;
CREATE TRIGGER people_person_journey_gone
    AFTER DELETE ON people_person REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {GONE_FUNCTION}();
"""  # noqa: S608 (names and SQL written here: no input)


def changed_function(table: str) -> str:
    return f"{CHANGED_FUNCTION}_{table}"


def _person_of(rows: str, table: str) -> str:
    """The person a row of the transition table `rows` belongs to, as SQL."""
    if SOURCES[table] == "plan":
        return f"(SELECT person_id FROM careplans_supportplan WHERE id = {rows}.plan_id)"  # noqa: S608 (names written here)
    return f"{rows}.person_id"


def _changed_function_sql(table: str, watched: tuple[str, ...]) -> str:
    """The statement trigger's function for one source table: the people the statement's rows belong to, before
    and after, then their facts worked out again. An UPDATE counts only the rows where a WATCHED column changed
    (or whose id did)."""
    before = ", ".join(f"o.{column}" for column in watched)
    after = ", ".join(f"n.{column}" for column in watched)
    return f"""CREATE OR REPLACE FUNCTION {changed_function(table)}() RETURNS trigger AS $$
DECLARE
    people uuid[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        people := ARRAY(SELECT DISTINCT {_person_of("new_rows", table)} FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        people := ARRAY(SELECT DISTINCT {_person_of("old_rows", table)} FROM old_rows);
    ELSE
        people := ARRAY(
            SELECT DISTINCT person FROM old_rows o FULL JOIN new_rows n ON n.id = o.id,
                LATERAL (VALUES ({_person_of("o", table)}), ({_person_of("n", table)})) AS changed (person)
            WHERE person IS NOT NULL
                AND (o.id IS NULL OR n.id IS NULL OR ROW({before}) IS DISTINCT FROM ROW({after}))
        );
    END IF;
    IF cardinality(people) > 0 THEN
        PERFORM {REFRESH_FUNCTION}(people);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;"""  # noqa: S608 (names written here: no input)


def refresh_everyone_sql() -> str:
    """Work out everyone's facts afresh (after the function changes: a migration runs it)."""
    return f"SELECT {REFRESH_FUNCTION}(ARRAY(SELECT id FROM people_person));"  # noqa: S608


def drop_sql() -> str:
    drops = [
        f"DROP TRIGGER IF EXISTS {table}_journey_{event} ON {table};"
        for table in SOURCES
        for event in ("insert", "update", "delete")
    ]
    return "\n".join(
        [
            *drops,
            "DROP TRIGGER IF EXISTS people_person_journey_gone ON people_person;",
            f"DROP FUNCTION IF EXISTS {GONE_FUNCTION}();",
            *(f"DROP FUNCTION IF EXISTS {changed_function(table)}();" for table in SOURCES),
            f"DROP FUNCTION IF EXISTS {CHANGED_FUNCTION}();",
            f"DROP FUNCTION IF EXISTS {REFRESH_FUNCTION}(uuid[]);",
            f"DROP FUNCTION IF EXISTS {FIRST_AFTER_FUNCTION}(date[], date);",
        ]
    )


def function_in_database(cursor) -> str:
    """The refresh function's body as PostgreSQL keeps it."""
    cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [REFRESH_FUNCTION])
    row = cursor.fetchone()
    return row[0] if row else ""
