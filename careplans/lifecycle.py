"""The plan lifecycle: what may happen to a version, and who may do it. Written once.

`refusal(action, facts)` is the rule as a pure function over plain values. `check(action, version,
user)` is what every service that moves or changes a version calls first; `allowed_actions(version,
user)` is what views and templates ask before showing a button. Both gather the same facts and ask
the same `refusal`, so a button is shown exactly when the service behind it would accept the action
(a table test proves it for every status, role, authorship and amount).

```
draft ──submit──> submitted ──approve──> approved ──(start date)──> active ──end──> ending ──(end date)──> ended
                      │ └──decline──> declined                        │
                      └──return──> returned + a new draft             └──amend──> a new draft (the old version
                                                                          stays in force until the new one starts)
```

Ending for some reasons (SECOND_PERSON_REASONS) needs two people: one asks (an EndingRequest waits), and
a PHB team member who did not ask confirms it (then the budget is ended as asked: END) or refuses it
(DECIDE_END covers both).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.utils import timezone

from careplans.models import EndingRequest, EndingStatus, EndReason, PlanVersion, Status, in_force_among
from phb.errors import ServiceError
from phb.roles import PHB_TEAM_ROLES, Role
from phb.words import long_date

# The scheduled jobs (activating plans on their start date, ending them on their end date).
SYSTEM = "system"


class Action(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    ASSIGN = "assign"
    APPROVE = "approve"
    RETURN = "return"
    DECLINE = "decline"
    ACTIVATE = "activate"
    END = "end"
    FINISH = "finish"
    AMEND = "amend"
    REQUEST_REVIEW = "request_review"
    DECIDE_END = "decide_end"  # confirm or refuse an ending someone else asked for


# Ending for these reasons takes effect only once a PHB team member who did not ask confirms it (four
# eyes): they stop the money for something the person did or no longer is, so one person alone must not.
SECOND_PERSON_REASONS = frozenset({EndReason.MONEY_MISUSED, EndReason.NOT_ELIGIBLE})


def needs_second_person(reason: str) -> bool:
    """Whether ending a budget for this reason waits for a PHB team member's confirmation."""
    return reason in SECOND_PERSON_REASONS


DECISIONS = frozenset({Action.APPROVE, Action.RETURN, Action.DECLINE})
# Nobody decides on, or takes to decide, a plan they wrote or submitted (four eyes).
FOUR_EYES = DECISIONS | {Action.ASSIGN}
# Nothing new may be agreed for a plan whose budget is ending or has ended.
NOTHING_NEW_ONCE_ENDING = frozenset({Action.SUBMIT, Action.APPROVE, Action.ACTIVATE, Action.AMEND})
PHB_TEAM = PHB_TEAM_ROLES

# From which statuses each action may start.
FROM_STATUSES = {
    Action.EDIT: Status.EDITABLE,
    Action.SUBMIT: frozenset({Status.DRAFT}),
    Action.ASSIGN: frozenset({Status.SUBMITTED}),
    Action.APPROVE: frozenset({Status.SUBMITTED}),
    Action.RETURN: frozenset({Status.SUBMITTED}),
    Action.DECLINE: frozenset({Status.SUBMITTED}),
    Action.ACTIVATE: frozenset({Status.APPROVED}),
    Action.END: Status.CURRENT,
    Action.FINISH: frozenset({Status.ENDING}),
    Action.AMEND: Status.STANDING,
    Action.REQUEST_REVIEW: Status.STANDING,
    Action.DECIDE_END: Status.CURRENT,
}
# What each action leads to (AMEND makes a new draft and leaves the version it copies alone; END leads
# to ENDED at once when the end date has come or the plan never started; EDIT, ASSIGN and
# REQUEST_REVIEW leave the status as it is).
TO_STATUS = {
    Action.SUBMIT: Status.SUBMITTED,
    Action.APPROVE: Status.APPROVED,
    Action.RETURN: Status.RETURNED,
    Action.DECLINE: Status.DECLINED,
    Action.ACTIVATE: Status.ACTIVE,
    Action.END: Status.ENDING,
    Action.FINISH: Status.ENDED,
    Action.AMEND: Status.DRAFT,
}
# Who may take each action. Coordinators act only for people in their care teams.
ROLES = {
    Action.EDIT: frozenset({Role.COORDINATOR}),
    Action.SUBMIT: frozenset({Role.COORDINATOR}),
    Action.ASSIGN: PHB_TEAM,
    Action.APPROVE: PHB_TEAM,
    Action.RETURN: PHB_TEAM,
    Action.DECLINE: PHB_TEAM,
    Action.ACTIVATE: PHB_TEAM | {SYSTEM},
    Action.END: PHB_TEAM | {Role.COORDINATOR},
    Action.FINISH: frozenset({SYSTEM}),
    Action.AMEND: frozenset({Role.COORDINATOR}),
    Action.REQUEST_REVIEW: PHB_TEAM | {Role.COORDINATOR},
    Action.DECIDE_END: PHB_TEAM,
}
VERBS = {
    Action.EDIT: "changed",
    Action.SUBMIT: "submitted",
    Action.ASSIGN: "taken to decide",
    Action.APPROVE: "approved",
    Action.RETURN: "returned",
    Action.DECLINE: "declined",
    Action.ACTIVATE: "made active",
    Action.END: "ended",
    Action.FINISH: "ended",
    Action.AMEND: "changed with a new version",
    Action.REQUEST_REVIEW: "reviewed",
    Action.DECIDE_END: "ended",
}
# What a role that may not take an action is told it cannot do (the action's name otherwise).
ROLE_WORDS = {Action.DECIDE_END: "confirm or refuse the ending of"}
STATUS_WORDS = {
    Status.DRAFT: "a draft",
    Status.SUBMITTED: "waiting for a decision",
    Status.APPROVED: "approved",
    Status.RETURNED: "returned",
    Status.DECLINED: "declined",
    Status.ACTIVE: "active",
    Status.ENDING: "ending",
    Status.ENDED: "ended",
    Status.SUPERSEDED: "replaced by a newer version",
    Status.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know about a version and the person acting on it."""

    status: str
    role: str  # a Role value, or SYSTEM
    is_author: bool = False  # created, last changed or submitted this version
    in_team: bool = False  # the person is in one of the acting coordinator's care teams
    annual_total: Decimal = Decimal("0")
    has_open_version: bool = False  # the plan has a version being written or waiting for a decision
    in_force: bool = False  # this is the plan's version in force today
    other_running: int | None = None  # the number of another version of the plan that is active or ending
    finishing: str | None = None  # the plan's budget is ending or has ended (that version's status)
    starts_later: datetime.date | None = None  # the version's start date, when it is still to come
    lead_above: Decimal | None = None  # settings.PLAN_LEAD_APPROVAL_ABOVE; None: no threshold
    ending_waiting: bool = False  # an ending of the plan waits for a PHB team member to confirm it
    asked_for_ending: bool = False  # the user acting asked for that ending


def refusal(action: Action, facts: Facts) -> str | None:
    """Why this action may not be taken, in words a person can act on; None if it may."""
    action = Action(action)
    if facts.status not in FROM_STATUSES[action]:
        words = STATUS_WORDS.get(facts.status, facts.status)
        if action == Action.EDIT:
            return f"This plan is {words}, so it cannot be changed. To change an agreed plan, start a new version."
        return f"This plan is {words}, so it cannot be {VERBS[action]}."
    if facts.role not in ROLES[action]:
        return f"Your role cannot {ROLE_WORDS.get(action, action.value.replace('_', ' '))} a plan."
    if facts.role == Role.COORDINATOR and not facts.in_team:
        return "Only a care coordinator in the person's care team can do this."
    if action in NOTHING_NEW_ONCE_ENDING and facts.finishing:
        when = "is ending" if facts.finishing == Status.ENDING else "has ended"
        return f"This personal health budget {when}, so nothing new can be agreed for it."
    if action in FOUR_EYES and facts.is_author:
        return "You wrote or submitted this plan, so someone else in the PHB team must decide on it."
    above = facts.lead_above is not None and facts.annual_total > facts.lead_above
    if action == Action.APPROVE and above and facts.role != Role.LEAD:
        return f"Plans costing more than £{facts.lead_above:,} a year need a PHB team lead to approve them."
    if action == Action.AMEND and facts.has_open_version:
        return "This plan already has a new version being written or waiting for a decision. Change that one instead."
    if action == Action.DECIDE_END and not facts.ending_waiting:
        return "No ending of this plan is waiting for confirmation."
    if action == Action.DECIDE_END and facts.asked_for_ending:
        return "You asked for this ending, so someone else in the PHB team must confirm or refuse it."
    if action in (Action.END, Action.DECIDE_END) and facts.other_running is not None:
        return f"Version {facts.other_running} is still active. End the budget from version {facts.other_running}."
    if action == Action.ACTIVATE and facts.starts_later:
        return f"This plan starts on {long_date(facts.starts_later)}, so it cannot be active yet."
    if action == Action.REQUEST_REVIEW and not facts.in_force:
        return "This version is not the one in force today. Ask for a review from the version in force."
    return None


def _another(version: PlanVersion, others: list | None, statuses, field: str):
    """`field` of the newest other version of the plan with a status in `statuses`, or None: from the
    loaded versions (newest first) when a page has them, else from the database."""
    if others is None:
        return (
            PlanVersion.objects.filter(plan_id=version.plan_id, status__in=statuses)
            .exclude(pk=version.pk)
            .order_by("-number")
            .values_list(field, flat=True)
            .first()
        )
    return next((getattr(other, field) for other in others if other.status in statuses), None)


def _newest_first(version: PlanVersion) -> int:
    return -version.number


def _in_team(version: PlanVersion, user, *, loaded: bool) -> bool:
    """Whether a coordinator is in the person's care team: read from the loaded person on a page, asked
    of the database by a service."""
    from people.access import may_write, persons_writable_by

    if loaded:
        return may_write(user, version.plan.person)
    return persons_writable_by(user).filter(pk=version.plan.person_id).exists()


def role_of(user) -> str:
    return SYSTEM if user is None else user.role


def is_author(version: PlanVersion, user) -> bool:
    return user is not None and user.pk in {version.created_by_id, version.updated_by_id, version.submitted_by_id}


# `ending=` not given: the facts ask the database for the ending waiting, if they need it.
ASK = object()


def waiting_ending(plan_id) -> EndingRequest | None:
    """The plan's ending waiting for a PHB team member's confirmation (at most one), with who asked."""
    return (
        EndingRequest.objects.select_related("requested_by")
        .filter(plan_id=plan_id, status=EndingStatus.WAITING)
        .first()
    )


def facts(
    version: PlanVersion,
    user,
    *,
    actions=None,
    on: datetime.date | None = None,
    siblings: list | None = None,
    ending=ASK,
) -> Facts:
    """Gathers the facts for a version and a user on a day (today unless the hourly job says otherwise),
    querying only what the actions asked about need.

    siblings: every version of the plan, already loaded with its person (a page that shows them all);
    the facts are then read from them with no query. Services leave it out and ask the database.
    ending: the plan's ending waiting for confirmation (or None), when the page has loaded it.
    """
    from careplans import rules
    from careplans.selectors import snapshot

    actions = set(Action) if actions is None else set(actions)
    on = on or timezone.localdate()
    role = role_of(user)
    in_team = role == Role.COORDINATOR and _in_team(version, user, loaded=siblings is not None)
    total = Decimal("0")
    if Action.APPROVE in actions and version.status == Status.SUBMITTED:
        total = rules.totals(snapshot(version)).annual
    others = None if siblings is None else sorted((v for v in siblings if v.pk != version.pk), key=_newest_first)
    has_open = False
    if Action.AMEND in actions and version.status in FROM_STATUSES[Action.AMEND]:
        if others is None:
            has_open = PlanVersion.objects.filter(plan_id=version.plan_id).open().exists()
        else:
            has_open = any(v.status in Status.OPEN for v in [version, *others])
    in_force, other_running, finishing = False, None, None
    asked = actions & NOTHING_NEW_ONCE_ENDING
    if any(version.status in FROM_STATUSES[action] for action in asked):
        finishing = _another(version, others, Status.FINISHING, "status")
    if Action.REQUEST_REVIEW in actions and version.status in FROM_STATUSES[Action.REQUEST_REVIEW]:
        if others is None:
            current = PlanVersion.objects.in_force_for(version.plan_id, on=on)
        else:
            current = in_force_among([version, *others], on=on)
        in_force = current is not None and current.pk == version.pk
    if actions & {Action.END, Action.DECIDE_END} and version.status in FROM_STATUSES[Action.END]:
        other_running = _another(version, others, Status.RUNNING, "number")
    waiting = None
    if Action.DECIDE_END in actions and version.status in FROM_STATUSES[Action.DECIDE_END]:
        waiting = waiting_ending(version.plan_id) if ending is ASK else ending
    return Facts(
        status=version.status,
        role=role,
        is_author=is_author(version, user),
        in_team=in_team,
        annual_total=total,
        has_open_version=has_open,
        in_force=in_force,
        other_running=other_running,
        finishing=finishing,
        starts_later=version.start_date if version.start_date and version.start_date > on else None,
        lead_above=settings.PLAN_LEAD_APPROVAL_ABOVE,
        ending_waiting=waiting is not None,
        asked_for_ending=waiting is not None and user is not None and waiting.requested_by_id == user.pk,
    )


def check(action: Action, version: PlanVersion, user, *, on: datetime.date | None = None) -> None:
    """Raises ServiceError saying why, unless this user may take this action on this version now."""
    problem = refusal(action, facts(version, user, actions={action}, on=on))
    if problem:
        raise ServiceError(problem)


def may(action: Action, version: PlanVersion, user) -> bool:
    """Whether this user may take this one action now (for a button on a list row: asks only what it needs)."""
    return refusal(action, facts(version, user, actions={action})) is None


@dataclass(frozen=True)
class DecisionOptions:
    """What the decide page offers: the decisions allowed, and in words why any is not."""

    allowed: frozenset[Action]
    approve_refused: str | None  # why approve is not offered while return or decline is
    why_not: str | None  # why no decision is offered at all


def awaits_decision(version: PlanVersion) -> bool:
    """Whether any decision may start from the version's status (whoever asks): the decide page opens
    only then, as the decisions themselves are refused otherwise."""
    return any(version.status in FROM_STATUSES[action] for action in DECISIONS)


def decision_options(version: PlanVersion, user, *, siblings: list | None = None) -> DecisionOptions:
    known = facts(version, user, actions=DECISIONS, siblings=siblings)
    allowed = frozenset(action for action in DECISIONS if refusal(action, known) is None)
    if allowed:
        return DecisionOptions(allowed, refusal(Action.APPROVE, known), None)
    if awaits_decision(version):
        return DecisionOptions(allowed, None, refusal(Action.RETURN, known))
    return DecisionOptions(
        allowed, None, f"This plan is {STATUS_WORDS[version.status]}, so there is nothing to decide."
    )


def allowed_actions(version: PlanVersion, user, *, siblings: list | None = None, ending=ASK) -> frozenset[Action]:
    """Every action this user may take on this version now: what the page offers buttons for.
    siblings: every version of the plan, when the page has them (no query then); ending: the plan's
    ending waiting for confirmation, or None, when the page has it (lifecycle.waiting_ending)."""
    known = facts(version, user, siblings=siblings, ending=ending)
    return frozenset(action for action in Action if refusal(action, known) is None)
