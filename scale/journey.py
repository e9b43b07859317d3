"""One person's journey up to their budget: the record, screenings, assessments, current services and
indicative budget versions.

Screening results come from `eligibility.rules.screen` and budgets from `budgets.calculate`, so every JSON
document has exactly the shape the services store. Both are cached: a screening's result depends only on
the answers, and a budget's parts on the services, the needs and the tariff.
"""

import bisect
import hashlib
import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

from budgets import calculate
from budgets.models import SignOff
from eligibility import rules
from eligibility.models import Decision
from phb.models import AuditAction
from phb.words import lower_first
from scale import fiction
from scale.batch import DAY, Batch, World, day_text, on, stamp
from scale.copy import Json, random_uuid

# Where people are on their way to a budget, with how many in a hundred are there.
STAGES = (
    ("unscreened", 1.0),
    ("not_eligible", 6.0),
    ("referral_waiting", 0.5),
    ("referral_declined", 0.8),
    ("eligible", 2.5),
    ("assessed", 1.5),
    ("budget_awaiting", 0.8),
    ("budget_returned", 0.4),
    ("budget_ready", 8.5),
    ("plan", 78.0),
)
ELIGIBLE_ROUTES = (
    ("chc", 45),
    ("cc", 5),
    ("s117", 10),
    ("wheelchair", 7),
    ("ipc", 21),
    ("ipc_referral", 4),
    ("package", 8),
)
NOT_ELIGIBLE_ROUTES = (("chc_inpatient", 35), ("s2", 15), ("retired_cohort", 10), ("none", 40))
REFERRAL_ROUTES = (("package", 70), ("ipc_referral", 30))

DOMAINS = [d.value for d in calculate.Domain]
LEVELS = [level.value for level in calculate.NeedLevel]
TARIFF_POINTS = {"none": 0, "low": 3, "moderate": 6, "high": 10, "very_high": 15}
METHODS = (("higher", 50), ("costed", 25), ("ras", 15), ("lower", 10))


def pick(rng, weighted):
    """One name from (name, weight) pairs."""
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


@dataclass
class Tariff:
    id: int
    effective: int  # ordinal
    price: Decimal
    tariff_input: calculate.TariffInput
    json_text: str  # as budgets.selectors.worksheet_for copies it into a version's inputs


class Life:
    """What the generator knows about one person while it writes their rows."""

    __slots__ = (
        "index",
        "rng",
        "id",
        "team",
        "team_id",
        "team_coordinators",
        "lead",
        "acting",
        "given",
        "family",
        "name",
        "child",
        "email",
        "wants_reminders",
        "representative",
        "stage",
        "plan_kind",
        "route",
        "born",
        "created",
    )


def new_life(world: World, index: int, rng, *, stage: str, plan_kind: str | None) -> Life:
    life = Life()
    life.index, life.rng, life.stage, life.plan_kind = index, rng, stage, plan_kind
    life.id = random_uuid(rng)
    life.team = world.staff.person_team[index]
    life.team_id = world.staff.teams[life.team][0]
    life.team_coordinators = world.staff.coordinators[life.team]
    life.lead = rng.choice(life.team_coordinators) if rng.random() < 0.85 else None
    life.acting = life.lead or rng.choice(life.team_coordinators)
    life.given, life.family = rng.choice(fiction.GIVEN_NAMES), rng.choice(fiction.FAMILY_NAMES)
    life.name = f"{life.given} {life.family}"
    return life


def choose_route(life: Life) -> str:
    rng = life.rng
    if life.stage in ("unscreened",):
        return ""
    if life.stage == "not_eligible":
        return pick(rng, NOT_ELIGIBLE_ROUTES)
    if life.stage in ("referral_waiting", "referral_declined"):
        return pick(rng, REFERRAL_ROUTES)
    return pick(rng, ELIGIBLE_ROUTES)


def _answers(world: World, route: str, rng) -> dict:
    """The screening answers for a route (with, now and then, a second route that also applies)."""
    answers = {
        "funding": "none",
        "hospital_inpatient": False,
        "section_117": "none",
        "wheelchair": False,
        "commissioned_package": False,
        "block": (),
        "cohorts": (),
    }
    offers = [code for code, (_, _, decision, retired) in world.cohorts.items() if not decision and not retired]
    if route in ("chc", "chc_inpatient"):
        answers["funding"] = "chc"
        answers["hospital_inpatient"] = route == "chc_inpatient"
        answers["wheelchair"] = rng.random() < 0.1
    elif route == "cc":
        answers["funding"] = "cc"
    elif route == "s117":
        answers["section_117"] = "aftercare"
        if rng.random() < 0.2:
            answers["cohorts"] = ("mental-health",) if "mental-health" in world.cohorts else ()
    elif route == "s2":
        answers["section_117"] = "section_2_only"
    elif route == "wheelchair":
        answers["wheelchair"] = True
    elif route == "ipc":
        answers["cohorts"] = (rng.choice(offers),)
    elif route == "ipc_referral":
        answers["cohorts"] = (next(c for c, info in world.cohorts.items() if info[2] and not info[3]),)
    elif route == "retired_cohort":
        answers["cohorts"] = (next(c for c, info in world.cohorts.items() if info[3]),)
    elif route == "package":
        answers["commissioned_package"] = True
        answers["block"] = rng.choice(
            ((), ("Day centre",), ("Community mental health team (block contract)",), ("Day centre", "Respite unit"))
        )
    return answers


def _screen(world: World, answers: dict, born: int, day: int) -> dict:
    key = ("screen", tuple(sorted((k, v) for k, v in answers.items())))
    result = world.caches.get(key)
    if result is None:
        cohorts = tuple(
            rules.Cohort(
                code=code,
                name=world.cohorts[code][1],
                needs_decision=world.cohorts[code][2],
                retired=world.cohorts[code][3],
            )
            for code in answers["cohorts"]
        )
        facts = rules.Facts(
            date_of_birth=on(born),
            funding=rules.Funding(answers["funding"]),
            hospital_inpatient=answers["hospital_inpatient"],
            section_117=rules.Section117(answers["section_117"]),
            wheelchair=answers["wheelchair"],
            commissioned_package=answers["commissioned_package"],
            block_contract_services=answers["block"],
            cohorts=cohorts,
        )
        found = rules.screen(facts, on=on(day))
        result = world.caches[key] = {
            "outcome": found.outcome.value,
            "route": found.route.value,
            "label": f"{found.outcome.label} ({found.route.label})",
            "reasons": Json(json.dumps(list(found.reasons))),
            "next_steps": Json(json.dumps(list(found.next_steps))),
            "findings": Json(json.dumps([{k: str(v) for k, v in asdict(f).items()} for f in found.findings])),
            "block": Json(json.dumps(list(found.block_contract_services))),
        }
    return result


def write_screening(
    world: World, batch: Batch, life: Life, route: str, day: int, *, decision: str = "", latest: int | None = None
) -> None:
    """A screening on a day, and the PHB team's decision if it is a referral (made by `latest`)."""
    rng = life.rng
    answers = _answers(world, route, rng)
    result = _screen(world, answers, life.born, day)
    screening_id = random_uuid(rng)
    created = day * DAY + rng.randint(9 * 3600, 17 * 3600)
    referred = result["outcome"] == rules.Outcome.REFERRED
    decided_by = decided_at = None
    reason = ""
    state = Decision.NOT_NEEDED.value
    if referred:
        state = decision or Decision.AWAITING.value
        if state != Decision.AWAITING:
            decider = rng.choice(world.staff.approvers)
            limit = (latest if latest is not None else world.anchor - 1) * DAY + 3600 * 17
            decided = max(min(created + rng.randint(1, 20) * DAY, limit), created + 3600)
            decided_by, decided_at = decider, decided
            reason = rng.choice(fiction.REFERRAL_APPROVE if state == Decision.APPROVED else fiction.REFERRAL_DECLINE)
    package = "Complex care package with supported housing" if answers["commissioned_package"] else ""
    batch.screenings.add(
        screening_id,
        life.id,
        day_text(day),
        answers["funding"],
        answers["hospital_inpatient"],
        answers["section_117"],
        answers["wheelchair"],
        answers["commissioned_package"],
        package,
        result["block"],
        result["outcome"],
        result["route"],
        result["reasons"],
        result["next_steps"],
        result["findings"],
        state,
        decided_by.id if decided_by else None,
        stamp(decided_at) if decided_at else None,
        reason,
        stamp(created),
        life.acting.id,
    )
    for code in answers["cohorts"]:
        batch.screening_cohorts.add(screening_id, world.cohorts[code][0])
    batch.record(
        created,
        life.acting,
        AuditAction.CREATE,
        "eligibility.screening",
        screening_id,
        life.id,
        f"Screened: {result['label']}",
        {
            "outcome": [None, result["outcome"]],
            "route": [None, result["route"]],
            "cohorts": [None, list(answers["cohorts"])],
        },
    )
    if decided_by:
        batch.record(
            decided_at,
            decided_by,
            AuditAction.DECIDE,
            "eligibility.screening",
            screening_id,
            life.id,
            f"Referral {lower_first(Decision(state).label)}",
            {"decision": [Decision.AWAITING.value, state], "decision_reason": [None, reason]},
        )


# Assessments and budgets


def needs_profiles(rng) -> dict[str, list[dict[str, str]]]:
    """Levels of need in the eight domains, by how much need a person has overall."""
    shapes = {"low": (40, 35, 20, 5, 0), "medium": (10, 25, 40, 20, 5), "high": (0, 10, 30, 40, 20)}
    return {
        intensity: [{d: rng.choices(LEVELS, weights)[0] for d in DOMAINS} for _ in range(10)]
        for intensity, weights in shapes.items()
    }


def _package(route: str, rng) -> tuple:
    """The current services, as (index in fiction.CURRENT_SERVICES, units) pairs in the order recorded."""
    heavy = route in ("chc", "cc", "package")
    count = rng.randint(2, 4) if heavy else rng.randint(0, 3)
    choices = list(range(len(fiction.CURRENT_SERVICES)))
    if heavy:
        first = rng.choice((0, 2, 3))
        picked = [first] + rng.sample([c for c in choices if c != first], count - 1)
    else:
        picked = rng.sample(choices, count)
    return tuple((i, rng.choice(fiction.CURRENT_SERVICES[i][7])) for i in picked)


def _service_input(index: int, units: int) -> calculate.ServiceInput:
    name, _, _, funding, cost, kind, period, _ = fiction.CURRENT_SERVICES[index]
    return calculate.ServiceInput(
        name=name,
        funding=calculate.FundingSource(funding),
        unit_cost=Decimal(cost),
        units=Decimal(units),
        period=calculate.Period(period),
        unit_kind=calculate.UnitKind(kind),
    )


def _lines_json(lines) -> str:
    return json.dumps([{**asdict(line), "amount": str(line.amount)} for line in lines])


def _cached(world: World, key, make):
    value = world.caches.get(key)
    if value is None:
        value = world.caches[key] = make()
    return value


@dataclass
class Figures:
    """One budget calculation, as budgets.services.budget_version_create stores it."""

    tariff: Tariff | None
    inputs: Json
    costed_total: Decimal
    ras_total: Decimal | None
    costed_lines: Json
    ras_lines: Json
    flags: Json
    method: str
    explanation: str
    base: Decimal
    adjustment: Decimal
    annual: Decimal
    council_share: Decimal
    reasons: list[str]


def tariff_on(world: World, day: int) -> Tariff | None:
    index = bisect.bisect_right([t.effective for t in world.tariffs], day) - 1
    return world.tariffs[index] if index >= 0 else None


def calculate_budget(world: World, package: tuple, profile: tuple, day: int, method: str, raise_by: int) -> Figures:
    """The budget for services, needs and a day, raised by `raise_by` per cent (0, 5: within the limit, or
    20: needs sign-off) with a reason."""
    tariff = tariff_on(world, day)
    if tariff is None:
        method = "costed"
    intensity, which = profile
    needs = world.caches["profiles"][intensity][which]
    costed = _cached(world, ("costed", package), lambda: calculate.costed([_service_input(*s) for s in package]))
    if tariff and not costed.total and method in ("costed", "lower"):
        method = "higher"  # no NHS services to release: the resource allocation gives the budget
    ras = None
    if tariff:
        ras = _cached(
            world,
            ("ras", profile, tariff.id),
            lambda: calculate.ras(
                {calculate.Domain(d): calculate.NeedLevel(v) for d, v in needs.items()}, tariff.tariff_input
            ),
        )
    base, explanation = calculate.choose(
        calculate.Method(method), costed_total=costed.total, ras_total=ras.total if ras else None
    )
    adjustment = (base * raise_by / 100).quantize(Decimal("1")) if raise_by else Decimal("0")
    if raise_by and not adjustment:
        adjustment = Decimal("500")  # any adjustment to a budget of £0 needs sign-off
    adjustment = Decimal(f"{adjustment}.00")
    annual = base + adjustment
    reasons = _cached(
        world,
        ("reasons", base, adjustment),
        lambda: calculate.sign_off_reasons(
            base=base,
            adjustment=adjustment,
            share=settings.BUDGET_SIGN_OFF_ADJUSTMENT_SHARE,
            ceiling=settings.BUDGET_SIGN_OFF_ABOVE,
        ),
    )
    flags = _cached(
        world,
        ("flags", package, profile, tariff.id if tariff else None, annual),
        lambda: Json(
            json.dumps(
                [
                    asdict(flag)
                    for flag in calculate.flags(
                        costed_result=costed,
                        ras_result=ras,
                        needs={calculate.Domain(d): calculate.NeedLevel(v) for d, v in needs.items()},
                        final_annual=annual,
                        low_budget_floor=settings.BUDGET_LOW_FLOOR,
                    )
                ]
            )
        ),
    )
    services_json = _cached(
        world,
        ("services_json", package),
        lambda: json.dumps(
            [
                {
                    "name": s.name,
                    "funding": s.funding.value,
                    "unit_cost": str(s.unit_cost),
                    "units": str(s.units),
                    "unit_kind": s.unit_kind.value,
                    "period": s.period.value,
                }
                for s in (_service_input(*one) for one in package)
            ]
        ),
    )
    needs_json = _cached(world, ("needs_json", profile), lambda: json.dumps(needs))
    inputs = Json(
        f'{{"needs": {needs_json}, "services": {services_json}, "tariff": {tariff.json_text if tariff else "null"}}}'
    )
    return Figures(
        tariff=tariff,
        inputs=inputs,
        costed_total=costed.total,
        ras_total=ras.total if ras else None,
        costed_lines=_cached(world, ("costed_lines", package), lambda: Json(_lines_json(costed.lines))),
        ras_lines=_cached(
            world,
            ("ras_lines", profile, tariff.id if tariff else None),
            lambda: Json(_lines_json(ras.lines) if ras else "[]"),
        ),
        flags=flags,
        method=method,
        explanation=explanation,
        base=base,
        adjustment=adjustment,
        annual=annual,
        council_share=costed.council_share,
        reasons=reasons,
    )


def write_assessment(world: World, batch: Batch, life: Life, day: int, *, first: bool) -> tuple[str, tuple, tuple]:
    """An assessment with a need in every domain and the current services. Returns (id, package, profile)."""
    rng = life.rng
    assessment_id = random_uuid(rng)
    coordinator = life.acting
    created = day * DAY + rng.randint(10 * 3600, 16 * 3600)
    support = rng.choices(("independent", "some", "substantial"), (40, 40, 20))[0]
    other = life.representative[1] if life.representative else f"their {rng.choice(fiction.RELATIONSHIPS).lower()}"
    batch.assessments.add(
        assessment_id,
        life.id,
        day_text(day),
        coordinator.id,
        f"{life.given}, {other}, and {coordinator.name} (care coordinator)",
        support,
        fiction.ENGAGEMENT_NOTES[support],
        coordinator.id,
        stamp(created),
        coordinator.id,
        stamp(created),
        1,
    )
    intensity = "high" if life.route in ("chc", "cc", "package") else rng.choice(("low", "medium", "medium", "high"))
    profile = (intensity, rng.randrange(10))
    needs = world.caches["profiles"][intensity][profile[1]]
    for domain in DOMAINS:
        level = needs[domain]
        words = "" if level == "none" else rng.choice(fiction.OWN_WORDS[domain])
        batch.needs.add_cells(f"{assessment_id}\t{domain}\t{level}\t{words}")
    batch.record(
        created,
        coordinator,
        AuditAction.CREATE,
        "budgets.assessment",
        assessment_id,
        life.id,
        "Recorded an assessment",
        {"assessed_on": [None, day_text(day)], "engagement_support": [None, support]},
    )
    if first:
        batch.record(
            created,
            coordinator,
            AuditAction.UPDATE,
            "people.person",
            life.id,
            life.id,
            "Engagement support set by assessment",
            {"engagement_support": ["", support]},
        )
    package = _package(life.route, rng)
    for position, (index, units) in enumerate(package):
        name, provider, kind, funding, cost, unit_kind, period, _ = fiction.CURRENT_SERVICES[index]
        service_id = random_uuid(rng)
        at = stamp(created + 60 * (position + 1))
        batch.services.add(
            service_id,
            assessment_id,
            name,
            provider,
            kind,
            funding,
            cost,
            units,
            unit_kind,
            period,
            coordinator.id,
            at,
            coordinator.id,
            at,
            1,
        )
        batch.record(
            created + 60 * (position + 1),
            coordinator,
            AuditAction.CREATE,
            "budgets.currentservice",
            service_id,
            life.id,
            f"Added current service {name}",
            {"name": [None, name], "funding": [None, funding], "unit_cost": [None, cost], "units": [None, str(units)]},
        )
    return assessment_id, package, profile, support


def write_budget(
    world: World,
    batch: Batch,
    life: Life,
    *,
    number: int,
    assessment: tuple,
    day: int,
    state: str,
    decided_before: int | None = None,
) -> tuple[str, Figures]:
    """A budget version calculated on a day. `state`: usable (signed off if it needs it), awaiting or
    returned (both raised enough to need sign-off)."""
    rng = life.rng
    assessment_id, package, profile, _ = assessment
    method = pick(rng, METHODS)
    raise_by = 20 if state in ("awaiting", "returned") else rng.choices((0, 5, 20), (85, 10, 5))[0]
    figures = calculate_budget(world, package, profile, day, method, raise_by)
    sign_off = SignOff.NOT_NEEDED.value
    signed_by = signed_at = None
    note = ""
    created = day * DAY + rng.randint(10 * 3600, 16 * 3600)
    if figures.reasons:
        sign_off = {"usable": SignOff.SIGNED_OFF, "awaiting": SignOff.AWAITING, "returned": SignOff.RETURNED}[state]
        sign_off = sign_off.value
        if sign_off != SignOff.AWAITING:
            signed_by = rng.choice(world.staff.approvers)
            latest = (decided_before or world.anchor) - 1
            signed_at = min(created + rng.randint(1, 10) * DAY, latest * DAY + 15 * 3600)
            signed_at = max(signed_at, created + 600)
            note = rng.choice(
                fiction.SIGN_OFF_NOTES if sign_off == SignOff.SIGNED_OFF else fiction.RETURNED_BUDGET_NOTES
            )
    budget_id = random_uuid(rng)
    reason = rng.choice(fiction.ADJUSTMENT_REASONS) if figures.adjustment else ""
    batch.budgets.add(
        budget_id,
        life.id,
        number,
        assessment_id,
        day_text(day),
        figures.tariff.id if figures.tariff else None,
        figures.inputs,
        figures.costed_total,
        figures.ras_total,
        figures.costed_lines,
        figures.ras_lines,
        figures.flags,
        figures.method,
        figures.explanation,
        figures.base,
        figures.adjustment,
        reason,
        figures.annual,
        figures.council_share,
        bool(figures.council_share) and rng.random() < 0.3,
        sign_off,
        Json(json.dumps(figures.reasons)),
        signed_by.id if signed_by else None,
        stamp(signed_at) if signed_at else None,
        note,
        life.acting.id,
        stamp(created),
    )
    batch.record(
        created,
        life.acting,
        AuditAction.CREATE,
        "budgets.budgetversion",
        budget_id,
        life.id,
        f"Calculated indicative budget {number}: £{figures.annual:,} a year",
        {
            "annual_amount": [None, str(figures.annual)],
            "method": [None, figures.method],
            "adjustment": [None, str(figures.adjustment)],
            "sign_off": [None, SignOff.AWAITING.value if figures.reasons else SignOff.NOT_NEEDED.value],
        },
    )
    if signed_by:
        batch.record(
            signed_at,
            signed_by,
            AuditAction.SIGN_OFF,
            "budgets.budgetversion",
            budget_id,
            life.id,
            f"Budget {number} {lower_first(SignOff(sign_off).label)}",
            {"sign_off": [SignOff.AWAITING.value, sign_off], "sign_off_note": [None, note]},
        )
    return budget_id, figures


# The person


def write_person(world: World, batch: Batch, life: Life, *, engagement: str) -> None:
    rng = life.rng
    street = f"{rng.randint(1, 180)} {rng.choice(fiction.STREETS)}"
    flat = f"Flat {rng.randint(1, 24)}" if rng.random() < 0.15 else ""
    area = rng.choice(fiction.POSTCODE_AREAS)
    letters = fiction.POSTCODE_LETTERS
    postcode = f"{area}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    phone = f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.8 else ""
    representative = life.representative or ("", "", "", "")
    created = life.created * DAY + rng.randint(9 * 3600, 17 * 3600)
    batch.people.add(
        life.id,
        world.nhs_numbers[life.index],
        life.given,
        life.family,
        "",
        day_text(life.born),
        flat or street,
        street if flat else "",
        rng.choice(fiction.TOWNS),
        postcode,
        phone,
        life.email,
        rng.choice(fiction.PRACTICES),
        *representative,
        life.team_id,
        life.lead.id if life.lead else None,
        life.wants_reminders,
        engagement,
        stamp(created),
        life.acting.id,
        stamp(created),
        life.acting.id,
        1,
    )
    batch.record(
        created,
        life.acting,
        AuditAction.CREATE,
        "people.person",
        life.id,
        life.id,
        f"Added {life.name}",
        {
            "nhs_number": [None, world.nhs_numbers[life.index]],
            "given_name": [None, life.given],
            "family_name": [None, life.family],
            "care_team": [None, str(life.team_id)],
        },
    )


def describe_person(life: Life, first_screening: int) -> None:
    """Age, contact details and a representative, fitting the route (a child's parent speaks for them)."""
    rng = life.rng
    if life.route == "cc":
        age = rng.randint(2, 16)
    elif life.route in ("chc", "chc_inpatient"):
        age = rng.choice((rng.randint(19, 64), rng.randint(65, 96), rng.randint(65, 96)))
    else:
        age = rng.randint(19, 88)
    life.child = age < 18
    life.born = first_screening - int(age * 365.25) - rng.randint(1, 360)
    life.email = ""
    if rng.random() < 0.55:
        number = rng.randint(1, 999)
        life.email = f"{life.given}.{life.family}.{number}@example.com".lower().replace("'", "")
    life.wants_reminders = bool(life.email) and rng.random() < 0.4
    life.representative = None
    if life.child or rng.random() < 0.15:
        role = "representative" if life.child or rng.random() < 0.6 else "nominee"
        first = rng.choice(fiction.GIVEN_NAMES)
        relationship = rng.choice(("Mother", "Father")) if life.child else rng.choice(fiction.RELATIONSHIPS)
        contact = f"07700 900{rng.randint(0, 999):03d}"
        life.representative = (role, f"{first} {life.family}", relationship, contact)


def token_hash(rng) -> str:
    return hashlib.sha256(f"{rng.getrandbits(192):048x}".encode()).hexdigest()
