"""The access matrix: every URL pattern, every persona, on a record of their own and on someone else's.

ROWS has one line per URL pattern name: which records fill its address, and what each persona gets back
for GET (and for POST, where the view takes one). Each expectation is 9 cells, one per persona in the
order of PERSONAS; a cell is the status for both records ("404") or for their own and someone else's
("200/404"). POSTs send an empty form: the matrix asks who gets past the access check, not what a form
accepts (a 200 there is the form shown again with its errors).

Whose record is "own" depends on the persona: the North team's records are the coordinator's (Alice),
the patient's (Jane's) and, for everyone who sees every team, simply the first; the South team's are the
other-team coordinator's, the other patient's and the representative's (who represents someone in the
South team and someone else). Each record is a whole one: screenings, a referral waiting, an
assessment with a service, budgets (one usable, one waiting for sign-off), a plan agreed twice with a
change waiting for a decision, a draft with an outcome and an item, reviews (done and due), letters,
messages, online access and an invitation (tests/page_data.py builds them the way the services do).

Every 403 or 404 a signed-in persona gets is also a refused access: it must leave exactly one
ACCESS_REFUSED audit event naming the user, the URL pattern and its ids, with no one's name; and when the
same persona got past the role check on their own record, the event names whose record was refused.

Records a row can name (build_team): person, patient (their account), screening, referral (waiting for
the PHB team), assessment, service, budget (usable), awaiting (a budget waiting for sign-off), ready
(someone with a budget and no plan), plan, superseded, active, submitted (versions of the plan), draft,
outcome, item (of the draft), letter, review (due), done (a review recorded), ending (of the active plan,
asked for by the team's coordinator and waiting for the PHB team), access (the patient's online access), invitation,
token (the invitation's), coordinator (the team's), tariff, failed (a decision e-mail not sent), confirmed (a
payment run confirmed) and run (one waiting for a second person), each over a plan of their own in the team.

A URL pattern the table does not list fails `test_every_url_pattern_is_in_the_matrix` (shown by
`test_a_url_pattern_missing_from_the_matrix_fails_the_check`); rows for names that are not (yet) URL
patterns are skipped. The admin (/admin/) is Django's own: `test_the_admin_is_for_the_administrator_alone`
walks every one of its patterns instead.
"""

import re
import sys
import types
import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path, reverse

from careplans.models import DecisionEmail, Letter, LetterKind, PlanVersion, ReviewKind, ReviewStatus, Status
from people.models import PortalAccess
from people.tests import personas
from phb.models import AuditAction, AuditEvent
from tests import page_data as data
from tests.url_walk import admin_patterns, site_patterns
from twofactor.tests.helpers import passkey

pytestmark = pytest.mark.django_db

# The columns of every row, in order, and whose record is "own" for each (the other team's is "other").
PERSONAS = ("anon", "coord", "other_coord", "phb", "lead", "patient", "other_patient", "rep", "admin")
OWN_TEAM = {
    "anon": "north",
    "coord": "north",
    "other_coord": "south",
    "phb": "north",
    "lead": "north",
    "patient": "north",
    "other_patient": "south",
    "rep": "south",
    "admin": "north",
}
OTHER_TEAM = {"north": "south", "south": "north"}
REFUSED = {403, 404}


@dataclass(frozen=True)
class Row:
    name: str  # the URL pattern's name
    target: str  # its address's parts: "kwarg=record" each, "?from=record&to=record" for a query
    get: str  # 9 cells, in the order of PERSONAS
    post: str | None = None  # None: the view takes no POST


def row(name, target, get, post=None) -> Row:
    return Row(name, target, get, post)


# Personas:            anon coord    other_coord phb     lead    patient other_patient rep  admin
STAFF_READ = "302 200/404 200/404 200 200 404 404 404 404"  # whoever may see the person
TEAM_WRITE = "302 200/404 200/404 404 404 404 404 404 404"  # the person's care team only
TEAM_POST = "302 302/404 302/404 404 404 404 404 404 404"  # a care team's button (a redirect back)
PHB_ONLY = "302 404 404 200 200 404 404 404 404"  # the PHB team (approver and lead)
LEAD_ONLY = "302 404 404 404 200 404 404 404 404"
STAFF_LIST = "302 200 200 200 200 404 404 404 404"
PORTAL = "302 404 404 404 404 200/404 200/404 200/404 404"  # the person, or whoever represents them
STAFF_BACK = "302 302/404 302/404 302 302 404 404 404 404"  # whoever may see the person, sent back to a page
PORTAL_BACK = "302 404 404 404 404 302/404 302/404 302/404 404"  # the person, sent back to a page
DECIDER = "302 404 404 302 200 404 404 404 404"  # the PHB team, not whoever proposed (the approver): sent back
NO_GET = "302 405 405 405 405 405 405 405 405"  # a button: POST only
EVERYONE = "200 200 200 200 200 200 200 200 200"  # a public page
SIGN_IN_OFF = "404 404 404 404 404 404 404 404 404"  # a way of signing in that this installation does not use
STAFF_AND_ADMIN = "302 200 200 200 200 404 404 404 200"  # anyone who gives a second factor
FACTOR_STEP = "302 302 302 302 302 404 404 404 302"  # a second-factor step, for anyone who gives one
OWN_PASSKEY = "302 302/404 302/404 404 404 404 404 404 404"  # one's own passkey (confirm it is you first)
PASSKEY_GET = "302 405 405 405 405 405 405 405 405"
PASSKEY_ADD = "302 428 428 428 428 404 404 404 428"  # staff: confirm it is you first
PASSKEY_VERIFY_BEGIN = "302 200 200 200 200 404 404 404 200"
PASSKEY_VERIFY_COMPLETE = "302 400 400 400 400 404 404 404 400"  # no ceremony begun

ROWS = [
    # name, target (the records in its address), GET, POST
    row("home", "", "302 302 302 302 302 302 302 302 302"),
    row("health", "", "200 200 200 200 200 200 200 200 200"),
    row("login", "", "200 302 302 302 302 302 302 302 302", "200 302 302 302 302 302 302 302 302"),
    row("logout", "", NO_GET, "302 302 302 302 302 302 302 302 302"),
    row("casework:caseload", "", STAFF_LIST),
    row("casework:home", "", STAFF_LIST),
    row("people:add", "", "302 200 200 404 404 404 404 404 404", "302 200 200 404 404 404 404 404 404"),
    row("people:detail", "pk=person", STAFF_READ),
    row("people:edit", "pk=person", TEAM_WRITE, TEAM_WRITE),
    row("people:history", "pk=person", STAFF_READ),
    row("eligibility:new", "person_pk=person", TEAM_WRITE, TEAM_WRITE),
    row("eligibility:detail", "pk=screening", STAFF_READ),
    row("eligibility:letter", "pk=screening", STAFF_READ),
    row("eligibility:decide", "pk=referral", PHB_ONLY, PHB_ONLY),
    row("eligibility:queue", "", PHB_ONLY),
    row("budgets:assessment_new", "person_pk=person", TEAM_WRITE, TEAM_WRITE),
    row("budgets:assessment", "pk=assessment", STAFF_READ),
    row("budgets:assessment_edit", "pk=assessment", TEAM_WRITE, TEAM_WRITE),
    row("budgets:service_add", "assessment_pk=assessment", TEAM_WRITE, TEAM_WRITE),
    row("budgets:service_edit", "pk=service", TEAM_WRITE, TEAM_WRITE),
    row("budgets:service_remove", "pk=service", TEAM_WRITE, TEAM_POST),
    row("budgets:budget_new", "assessment_pk=assessment", TEAM_WRITE, TEAM_WRITE),
    row("budgets:budget", "pk=budget", STAFF_READ),
    row("budgets:sign_off", "pk=awaiting", NO_GET, PHB_ONLY),
    row("budgets:letter", "pk=budget", STAFF_READ),
    row("budgets:sign_off_queue", "", PHB_ONLY),
    row("budgets:tariffs", "", LEAD_ONLY),
    row("budgets:tariff_new", "", LEAD_ONLY, LEAD_ONLY),
    row("budgets:tariff_edit", "pk=tariff", LEAD_ONLY, LEAD_ONLY),
    row("careplans:new", "person_pk=ready", TEAM_WRITE, TEAM_WRITE),
    row("careplans:version", "pk=active", STAFF_READ),
    row("careplans:edit", "pk=draft", TEAM_WRITE, TEAM_WRITE),
    row("careplans:check", "pk=draft", "302 200/404 200/404 302 302 404 404 404 404", PASSKEY_GET),  # PHB: to the plan
    row("careplans:submit", "pk=draft", NO_GET, TEAM_POST),
    row("careplans:confirmation", "pk=submitted", STAFF_READ),
    row("careplans:pdf", "pk=active", STAFF_READ),
    row("careplans:fhir", "pk=active", STAFF_READ),
    row("careplans:outcome_add", "version_pk=draft", TEAM_WRITE, TEAM_WRITE),
    row("careplans:outcome_edit", "pk=outcome", TEAM_WRITE, TEAM_WRITE),
    row("careplans:item_add", "version_pk=draft", TEAM_WRITE, TEAM_WRITE),
    row("careplans:item_edit", "pk=item", TEAM_WRITE, TEAM_WRITE),
    row("careplans:outcome_remove", "pk=outcome", TEAM_WRITE, TEAM_POST),
    row("careplans:item_remove", "pk=item", TEAM_WRITE, TEAM_POST),
    row("careplans:amend", "pk=plan", NO_GET, TEAM_POST),
    row("careplans:compare", "pk=plan ?from=superseded&to=submitted", STAFF_READ),
    row("careplans:queue", "", PHB_ONLY),
    row("careplans:assign", "pk=submitted", NO_GET, "302 404 404 302 302 404 404 404 404"),
    row("careplans:decide", "pk=submitted", PHB_ONLY, PHB_ONLY),
    row("careplans:end", "pk=active", STAFF_READ, STAFF_READ),
    row("careplans:endings", "", PHB_ONLY),
    row("careplans:ending_decide", "pk=ending", PHB_ONLY, PHB_ONLY),
    row("careplans:letter", "pk=letter", STAFF_READ),
    row("careplans:reviews_due", "", STAFF_LIST),
    row("careplans:review_record", "pk=review", TEAM_WRITE, TEAM_WRITE),
    row("careplans:review", "pk=done", STAFF_READ),
    row("careplans:plan_reviews", "pk=plan", STAFF_READ),
    row("careplans:review_request", "pk=plan", STAFF_READ, STAFF_READ),
    row("careplans:failed_messages", "", LEAD_ONLY),
    row("careplans:message_retry", "kind='decision' pk=failed", NO_GET, "302 404 404 404 302 404 404 404 404"),
    row("portal:home", "", "302 404 404 404 404 302 302 200 404"),
    row("portal:accept", "token=token", "200 200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200 200"),
    # NHS login and CIS2 are off here (no provider configured): each of their addresses is a 404 for everyone.
    # portal/tests/test_nhs_login.py and accounts/tests/test_cis2.py run them against a provider.
    row("portal:nhs_login", "", SIGN_IN_OFF),
    row("portal:accept_nhs_login", "token=token", SIGN_IN_OFF),
    row("portal:nhs_login_callback", "", SIGN_IN_OFF),
    row("accounts:cis2", "", SIGN_IN_OFF),
    row("accounts:cis2_callback", "", SIGN_IN_OFF),
    row("portal:person", "pk=person", PORTAL),
    row("portal:plan", "pk=person", PORTAL),
    row("portal:plan_version", "pk=person version_pk=superseded", PORTAL),
    row("portal:plan_pdf", "pk=person version_pk=active", PORTAL),
    row("portal:reviews", "pk=person", PORTAL),
    row("portal:documents", "pk=person", PORTAL),
    row("portal:letter", "pk=person letter_pk=letter", PORTAL),
    row("portal:screening_letter", "pk=person screening_pk=screening", PORTAL),
    row("portal:budget_letter", "pk=person budget_pk=budget", PORTAL),
    row("portal:messages", "pk=person", PORTAL, PORTAL),
    row("portal:invite", "person_pk=person", TEAM_WRITE, TEAM_WRITE),
    row("portal:revoke", "access_pk=access", NO_GET, TEAM_POST),
    row("portal:staff_messages", "person_pk=person", STAFF_READ),
    row("portal:reply", "person_pk=person", NO_GET, TEAM_POST),
    row("portal:cancel_invitation", "invitation_pk=invitation", NO_GET, TEAM_POST),
    row("portal:resend_invitation", "invitation_pk=invitation", NO_GET, TEAM_POST),
    # The person's money: theirs (or whoever represents them) alone; the columns step sends them back to the
    # upload when no file waits in their session.
    row("portal:money", "pk=person", PORTAL),
    row("portal:statements", "pk=person", PORTAL),
    row("portal:statement_add", "pk=person", PORTAL, PORTAL),
    row(
        "portal:statement_columns",
        "pk=person",
        PORTAL_BACK,
        PORTAL_BACK,
    ),
    row("portal:receipt_add", "pk=person", PORTAL, PORTAL),
    row("portal:receipt", "pk=person receipt_pk=receipt", PORTAL),
    # Signing in (accounts/): a forgotten password is for anyone; a link that does not work says so (200).
    row("accounts:password_reset", "", EVERYONE, EVERYONE),
    row("accounts:password_reset_done", "", EVERYONE),
    row("accounts:password_reset_confirm", "uidb64='MQ' token='not-a-token'", EVERYONE, EVERYONE),
    row("accounts:password_reset_complete", "", EVERYONE),
    row("accounts:lockouts", "", LEAD_ONLY),
    row("accounts:lockout_unlock", "attempt_id='1'", NO_GET, "302 404 404 404 302 404 404 404 404"),
    row("accounts:stay_signed_in", "", NO_GET, "302 302 302 302 302 302 302 302 302"),
    # The audit trail: the lead's page and its CSV; everyone's own "What I did".
    row("audit:trail", "", LEAD_ONLY),
    row("audit:export", "", LEAD_ONLY),
    row("audit:mine", "", "302 200 200 200 200 200 200 200 200"),
    # The second factor (twofactor/): staff and administrators only. Every persona here signed in with their
    # factor (conftest's force_login), so the factor steps send them on (302), and each account change asks
    # them to confirm it is them first (302); "confirm it is you" itself shows its form.
    row("twofactor:account", "", STAFF_AND_ADMIN),
    row("twofactor:verify", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:verify_recovery", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:enrol", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:recovery_codes", "", FACTOR_STEP),
    row("twofactor:new_recovery_codes", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:remove", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:password_change", "", FACTOR_STEP, FACTOR_STEP),
    row("twofactor:reauth", "", STAFF_AND_ADMIN, STAFF_AND_ADMIN),
    row("twofactor:passkey_add", "", FACTOR_STEP, NO_GET),
    row("twofactor:passkey_remove", "pk=passkey", OWN_PASSKEY, OWN_PASSKEY),
    # The passkey ceremonies (JSON, POST only): refused to anyone but staff; adding one needs a recent
    # "confirm it is you"; a "complete" with no ceremony begun is a 400.
    row("twofactor:passkey_add_begin", "", PASSKEY_GET, PASSKEY_ADD),
    row("twofactor:passkey_add_complete", "", PASSKEY_GET, PASSKEY_ADD),
    row("twofactor:passkey_verify_begin", "", PASSKEY_GET, PASSKEY_VERIFY_BEGIN),
    row("twofactor:passkey_verify_complete", "", PASSKEY_GET, PASSKEY_VERIFY_COMPLETE),
    row("twofactor:staff", "", LEAD_ONLY),
    row("twofactor:reset", "pk=coordinator", LEAD_ONLY, "302 404 404 404 302 404 404 404 404"),
    # Payments (payments/): the PHB team's payment runs and a plan's schedule. Here the PHB team member and the
    # lead both have the finance permission (page_data.payment_run): the member made the runs, so confirming or
    # cancelling is refused to them with a message (a redirect back) and done by the lead. The read-only view
    # and the ledger's refusal for a PHB team member without the permission: payments/tests/test_run_pages.py.
    row("payments:runs", "", PHB_ONLY, PHB_ONLY),
    row("payments:run", "pk=run", PHB_ONLY),
    row("payments:confirm", "pk=run", NO_GET, "302 404 404 302 302 404 404 404 404"),
    row("payments:cancel", "pk=run", NO_GET, "302 404 404 302 302 404 404 404 404"),
    row("payments:ledger", "pk=confirmed", PHB_ONLY),
    row("payments:schedule", "plan_id=plan", STAFF_READ),
    # Repayments and stopping (payments/reclaim_*.py): staff who may see the person see them; the PHB team
    # proposes, decides (not whoever proposed: the approver proposed these, so deciding sends them back with a
    # message) and withdraws; the person's response is recorded by their coordinator or the PHB team (an empty
    # form shows the page again with its errors: 200).
    row("payments:reclaims", "plan_id=plan", STAFF_READ),
    row("payments:reclaim_new", "plan_id=plan", PHB_ONLY, PHB_ONLY),
    row("payments:stop_new", "plan_id=plan", PHB_ONLY, PHB_ONLY),
    row("payments:reclaim", "pk=reclaim", STAFF_READ),
    row("payments:reclaim_response", "pk=reclaim", NO_GET, STAFF_READ),
    row(
        "payments:reclaim_decide",
        "pk=reclaim",
        DECIDER,
        DECIDER,
    ),
    row("payments:reclaim_withdraw", "pk=reclaim", PHB_ONLY, "302 404 404 302 302 404 404 404 404"),
    row("payments:reclaim_letter", "pk=reclaim", STAFF_READ),
    row("payments:reclaim_decision_letter", "pk=decided", STAFF_READ),
    # Money in use (payments/money_views.py, statement_views.py, holds_views.py): staff who may see the person see
    # the money and its statements; adding and matching is the care team's or the PHB team's (who handle
    # payments: the approver and the lead have the finance permission here). The columns step sends anyone back to
    # the upload when no file waits in their session (a 302). Holding and resuming is the care team's or the PHB
    # team's; invoices are recorded by the PHB team.
    row("payments:money", "plan_id=plan", STAFF_READ),
    row("payments:statements", "plan_id=plan", STAFF_READ),
    row("payments:statement_add", "plan_id=plan", STAFF_READ, STAFF_READ),
    row(
        "payments:statement_columns",
        "plan_id=plan",
        STAFF_BACK,
        STAFF_BACK,
    ),
    row("payments:transaction_add", "plan_id=plan", STAFF_READ, STAFF_READ),
    row("payments:transaction_match", "pk=spent", NO_GET, STAFF_BACK),
    row("payments:receipt", "pk=receipt", STAFF_READ),
    row("payments:hold", "plan_id=plan", STAFF_READ, STAFF_READ),
    row("payments:resume", "pk=hold", STAFF_READ, STAFF_READ),
    row("payments:invoice", "plan_id=plan", PHB_ONLY, PHB_ONLY),
    # Reports (reports/): the NHS England return is the PHB team's (everyone's figures), marked submitted by a
    # lead (the empty form names no quarter: sent back with a message); the outcomes report is every member of
    # staff's, a coordinator's for their own care teams.
    row("reports:return", "", PHB_ONLY),
    row("reports:return_csv", "", PHB_ONLY),
    row("reports:return_submit", "", NO_GET, "302 404 404 302 302 404 404 404 404"),
    row("reports:outcomes", "", STAFF_LIST),
    row("reports:outcomes_csv", "", STAFF_LIST),
    row("reports:dashboard", "", STAFF_LIST),
    # The lead's CSV exports of the caseload, the plans to decide and the reviews due (reports/export_views.py).
    row("reports:export_caseload", "", LEAD_ONLY),
    row("reports:export_plans", "", LEAD_ONLY),
    row("reports:export_reviews", "", LEAD_ONLY),
]
MATRIX = {r.name: r for r in ROWS}


# Reading the table


def cells(expectation: str) -> dict[str, tuple[int, int]]:
    """{persona: (status on their own record, status on someone else's)}."""
    parts = expectation.split()
    assert len(parts) == len(PERSONAS), f"{expectation!r} has {len(parts)} cells, not {len(PERSONAS)}"
    pairs = {}
    for persona, part in zip(PERSONAS, parts, strict=True):
        own, _, other = part.partition("/")
        pairs[persona] = (int(own), int(other or own))
    return pairs


def address(r: Row, record) -> str:
    """The row's URL, filled from one team's records."""

    def value(name: str):
        if name.startswith("'"):
            return name.strip("'")
        found = getattr(record, name)
        return getattr(found, "pk", found)

    kwargs, query = {}, ""
    for part in r.target.split():
        if part.startswith("?"):
            query = "?" + "&".join(f"{k}={value(v)}" for k, v in (p.split("=") for p in part[1:].split("&")))
        else:
            name, _, source = part.partition("=")
            kwargs[name] = value(source)
    return reverse(r.name, kwargs=kwargs) + query


# Completeness


def site_names() -> set[str | None]:
    return {name for _, name in site_patterns()}


def check_every_url_pattern_is_listed() -> None:
    names = site_names()
    assert None not in names, "Name every URL pattern, so the access matrix can list it"
    unlisted = sorted(names - set(MATRIX))
    assert not unlisted, (
        f"URL patterns with no row in the access matrix ({__name__}.ROWS): {unlisted}. Add a row for each: "
        "which records fill its address, and the status each persona gets for GET (and POST)."
    )


def test_every_url_pattern_is_in_the_matrix_and_every_row_is_a_url_pattern():
    check_every_url_pattern_is_listed()
    stale = sorted(set(MATRIX) - site_names())
    assert not stale, f"Rows in the access matrix for names that are not URL patterns (remove them): {stale}"


def _not_in_the_matrix(request):
    return HttpResponse("")


def test_a_url_pattern_missing_from_the_matrix_fails_the_check(monkeypatch):
    import phb.urls

    urlconf = types.ModuleType("tests.urls_with_an_unlisted_page")
    urlconf.urlpatterns = [*phb.urls.urlpatterns, path("unlisted/", _not_in_the_matrix, name="unlisted_page")]
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    listed = pytest.raises(AssertionError, match=r"no row in the access matrix .*'unlisted_page'")
    with override_settings(ROOT_URLCONF=urlconf.__name__), listed:
        check_every_url_pattern_is_listed()


def test_each_row_has_nine_cells_and_known_statuses():
    for r in ROWS:
        for expectation in filter(None, (r.get, r.post)):
            for own, other in cells(expectation).values():
                # 400 and 428: the passkey ceremonies' JSON answers (no ceremony begun; confirm it is you first).
                assert {own, other} <= {200, 302, 400, 403, 404, 405, 410, 428}, r.name


# The records


def build_team(world: data.World, patient_user=None) -> SimpleNamespace:
    """One team's whole records (see the module's docstring)."""
    whole = data.whole_record(world, 2)
    active = whole.active
    plan = active.plan
    budget = active.budget_version
    draft = data.draft_plan(world, data.person(world), rows=1)
    invitation = data.invitations(world, whole.person, 1)
    # Its assessment is still open to change: the budget worked out from it waits for sign-off (a budget the person
    # can be told locks the assessment it rests on).
    awaiting = data.budget_from(world, data.assessment_with_services(world, data.person(world), 1), sign_off=True)
    return SimpleNamespace(
        team=world.team,
        person=whole.person,
        patient=whole.patient,
        screening=whole.person.screenings.order_by("-screened_on", "-pk").first(),
        referral=data.referral_with(world, data.person(world), 1),
        assessment=awaiting.assessment,
        service=awaiting.assessment.services.first(),
        budget=budget,
        awaiting=awaiting,
        ready=_ready(world),
        plan=plan,
        superseded=whole.earlier,
        active=active,
        submitted=whole.submitted,
        draft=draft,
        outcome=draft.outcomes.first(),
        item=draft.items.first(),
        letter=Letter.objects.get(plan_version=active, kind=LetterKind.APPROVAL),
        review=plan.reviews.get(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE),
        done=plan.reviews.filter(status=ReviewStatus.COMPLETED).first(),
        ending=data.ask_to_end(world, active),
        access=PortalAccess.objects.get(user=whole.patient, person=whole.person),
        invitation=invitation,  # pending, to the person's records
        token=invitation.token,
        coordinator=world.coordinator,  # the team's coordinator (a staff account)
        passkey=passkey(world.coordinator),  # the coordinator's own passkey
        confirmed=data.payment_run(world, 1),  # a payment run confirmed (its ledger file ready)
        run=data.payment_run(world, 1, confirm=False),  # a payment run waiting for a second person
        decided=data.decided_reclaim(world, active),  # a repayment decided (its decision letter made)
        reclaim=data.reclaim(world, active),  # a repayment waiting for a decision, the response recorded
        spent=data.spending(world, active, 1).transactions.get(),  # spending from a statement, to match
        receipt=data.receipt(world, active),  # spending typed in with its receipt
        hold=data.hold(world),  # payments held (on a plan of their own)
    )


def _ready(world):
    """Someone with a budget they have been told and no plan yet (where a plan is started)."""
    someone = data.person(world)
    data.budget_versions(world, someone, 1)
    return someone


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Both teams' records and the personas, built once; each test runs in its own savepoint inside."""
    from people.tests.factories import CareTeamFactory, UserFactory
    from phb.roles import Role

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=personas.FAST_PASSWORD_HASHERS),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        patch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
        north, south = CareTeamFactory(name="North Leeds community team"), CareTeamFactory(name="South team")
        approver = UserFactory(username="priya", first_name="Priya", last_name="Patel", role=Role.APPROVER)
        lead = UserFactory(username="leo", first_name="Leo", last_name="Lewis", role=Role.LEAD)
        alice = UserFactory(username="alice", first_name="Alice", last_name="Adams", teams=[north])
        charlie = UserFactory(username="charlie", first_name="Charlie", last_name="Clark", teams=[south])
        teams = {
            "north": build_team(data.World(team=north, coordinator=alice, approver=approver, lead=lead)),
            "south": build_team(data.World(team=south, coordinator=charlie, approver=approver, lead=lead)),
        }
        for record in teams.values():
            record.tariff = _tariff(lead)
        north_world = data.World(team=north, coordinator=alice, approver=approver, lead=lead)
        data.failed_messages(north_world, 2)
        failed = DecisionEmail.objects.filter(failed_at__isnull=False).first()
        for record in teams.values():
            record.failed = failed
        # The representative: of someone in the South team, and of someone else besides.
        someone_else = data.person(north_world)
        rep = data.patient_for(teams["south"].person, someone_else)
        users = {
            "anon": None,
            "coord": alice,
            "other_coord": charlie,
            "phb": approver,
            "lead": lead,
            "patient": teams["north"].patient,
            "other_patient": teams["south"].patient,
            "rep": rep,
            "admin": UserFactory(username="ada", role=Role.ADMIN, is_staff=True, is_superuser=True),
        }
        yield SimpleNamespace(teams=teams, users=users)
        transaction.set_rollback(True)


def _tariff(lead):
    from budgets.models import Tariff

    data.tariffs(data.World(team=None, coordinator=None, approver=None, lead=lead), 1)
    return Tariff.objects.order_by("pk").first()


@pytest.fixture
def quick_documents(monkeypatch):
    """The PDFs' pages answer with a stand-in document: the matrix asks who may open them, not what they say."""
    for module in ("eligibility.views", "budgets.views", "careplans.views", "portal.views"):
        monkeypatch.setattr(f"{module}.render_pdf", lambda template, context: data.STAND_IN_PDF)


# The matrix


@dataclass(frozen=True)
class Answer:
    status: int
    refusals: list  # the ACCESS_REFUSED events the request wrote


def ask(client, user, method: str, url: str) -> Answer:
    """One request as the user, undone afterwards (a POST that succeeds changes nothing for the next)."""
    sign_in_as(client, user)
    latest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        response = client.get(url) if method == "GET" else client.post(url, {})
        refusals = list(AuditEvent.objects.filter(id__gt=latest, action=AuditAction.ACCESS_REFUSED))
        transaction.set_rollback(True)
    return Answer(response.status_code, refusals)


def sign_in_as(client, user) -> None:
    """The client as the user: signed in (with the second factor, conftest's force_login) once per test and
    user, and that same session sent again for the user's next request in the test. Every request `ask`
    makes is rolled back, the session's row and clocks included, so each request finds the session just as
    force_login left it, a few seconds before; signing in anew for each of a row's 36 requests was a third
    of the matrix's time. Signed out: no cookies at all, as client.logout() leaves it (its flush of the
    session row is undone, so the cached sessions stay usable)."""
    sessions = client.__dict__.setdefault("_matrix_sessions", {})
    if user is None:
        with transaction.atomic():
            client.logout()
            transaction.set_rollback(True)
        return
    if user.pk not in sessions:
        client.cookies.pop(settings.SESSION_COOKIE_NAME, None)  # or login() flushes the last user's session
        client.force_login(user)
        sessions[user.pk] = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[user.pk]


def url_ids(url: str) -> list[str]:
    """The ids in the address's path (not its query)."""
    segments = (segment.removesuffix(".pdf") for segment in url.split("?")[0].split("/"))
    return [segment for segment in segments if ID.fullmatch(segment)]


ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")


@pytest.mark.parametrize("r", ROWS, ids=[r.name for r in ROWS])
def test_the_access_matrix(client, world, quick_documents, r):
    problems = []
    for method, expectation in (("GET", r.get), ("POST", r.post)):
        if expectation is None:
            continue
        for persona, (own, other) in cells(expectation).items():
            user = world.users[persona]
            answers = {}
            for side, expected in (("own", own), ("other", other)):
                team = OWN_TEAM[persona] if side == "own" else OTHER_TEAM[OWN_TEAM[persona]]
                record = world.teams[team]
                url = address(r, record)
                answer = ask(client, user, method, url)
                answers[side] = answer
                where = f"{method} {url} as {persona} ({side} record)"
                if answer.status != expected:
                    problems.append(f"{where}: expected {expected}, got {answer.status}")
                    continue
                problems += refusal_problems(where, r.name, url, user, answer, record)
            # A persona past the role check on their own record (not refused there) who is refused on
            # someone else's was refused that record: the event says whose it is.
            if (
                answers["own"].status not in REFUSED
                and answers["other"].status in REFUSED
                and url_ids(url)
                and r.name not in PERSONLESS
            ):
                other_record = world.teams[OTHER_TEAM[OWN_TEAM[persona]]]
                for event in answers["other"].refusals:
                    if event.person_id is None:
                        problems.append(f"{method} {r.name} as {persona} (other record): refused without the person")
                    elif event.person_id not in people_of(other_record):
                        problems.append(f"{method} {r.name} as {persona}: refused naming someone else's person")
    assert not problems, f"{r.name}:\n" + "\n".join(problems)


# Records in an address that belong to no person: refusing someone else's names no person.
PERSONLESS = {"twofactor:passkey_remove": "a staff member's own passkey"}


def people_of(record) -> set:
    from people.models import Person

    return set(Person.objects.filter(care_team=record.team).values_list("pk", flat=True))


def refusal_problems(where: str, url_name: str, url: str, user, answer: Answer, record) -> list[str]:
    """A refusal leaves exactly one ACCESS_REFUSED event (with the user, URL pattern and ids, and no name);
    anything else leaves none."""
    if user is None or answer.status not in REFUSED:
        return [f"{where}: {len(answer.refusals)} refusal events for a {answer.status}"] if answer.refusals else []
    if len(answer.refusals) != 1:
        return [f"{where}: {len(answer.refusals)} refusal events, not 1"]
    event = answer.refusals[0]
    problems = []
    if event.actor_id != user.pk:
        problems.append(f"{where}: the refusal names another user")
    if url_name not in event.summary or not all(i in event.summary for i in url_ids(url)):
        problems.append(f"{where}: the refusal does not name the URL and its ids: {event.summary!r}")
    if event.person_id is not None and event.person_id not in people_of(record):
        problems.append(f"{where}: the refusal names a person who is not this record's")
    if data.MARK.lower() in (event.summary + str(event.changes)).lower():
        problems.append(f"{where}: the refusal names someone: {event.summary!r}")
    return problems


# The admin


def admin_routes():
    return admin_patterns()


def admin_example(route: str) -> str:
    route = re.sub(r"<path:\w+>|<\w+>", "1", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


def test_the_admin_is_for_the_administrator_alone(client, world):
    """Every admin page sends everyone but the administrator to sign in to the admin (never a 200)."""
    open_to_all = {"admin:login", "admin:logout", "admin:jsi18n", "admin:view_on_site"}
    problems = []
    routes = [(route, name) for route, name in admin_routes() if name not in open_to_all]
    assert len(routes) > 20
    for persona, user in world.users.items():
        if persona == "admin":
            continue
        for route, name in routes:
            url = admin_example(route)
            answer = ask(client, user, "GET", url)
            if answer.status not in (302, 404):
                problems.append(f"{name} ({url}) as {persona}: {answer.status}")
    admin = world.users["admin"]
    for route, name in routes:
        if name and (name == "admin:index" or name.endswith("_changelist")):
            answer = ask(client, admin, "GET", admin_example(route))
            if answer.status != 200:
                problems.append(f"{name} as the administrator: {answer.status}")
    assert not problems, "\n".join(problems)


def test_the_refusal_event_names_the_record_refused_and_whose_it_is(client, world):
    """The event in detail, for one case: the other team's coordinator opening a North person's screening."""
    north, charlie = world.teams["north"], world.users["other_coord"]
    answer = ask(client, charlie, "GET", reverse("eligibility:detail", kwargs={"pk": north.screening.pk}))
    assert answer.status == 404
    [event] = answer.refusals
    assert (event.actor_id, event.actor_role) == (charlie.pk, "coordinator")
    assert (event.object_type, event.object_id) == ("eligibility.screening", str(north.screening.pk))
    assert event.person_id == north.person.pk
    assert event.summary == f"Refused access: eligibility:detail (pk {north.screening.pk})"
    assert event.request_id


def test_a_made_up_id_is_refused_with_no_person(client, world):
    made_up = uuid.uuid4()
    answer = ask(client, world.users["coord"], "GET", reverse("careplans:version", kwargs={"pk": made_up}))
    assert answer.status == 404
    [event] = answer.refusals
    assert (event.object_type, event.object_id, event.person_id) == ("careplans.planversion", str(made_up), None)


def test_a_404_that_is_not_a_refusal_writes_no_refusal(client, world):
    """Alice may see the plan; a version that is no longer a draft cannot be changed: a 404, not a refusal."""
    north = world.teams["north"]
    answer = ask(client, world.users["coord"], "GET", reverse("careplans:edit", kwargs={"pk": north.active.pk}))
    assert answer.status == 404
    assert answer.refusals == []
    assert PlanVersion.objects.get(pk=north.active.pk).status == Status.ACTIVE


def mixed_address(r: Row, own, other) -> str:
    """The row's URL with its first record from `own` and the rest from `other` (another's letter inside
    one's own address)."""
    kwargs = {}
    for n, part in enumerate(r.target.split()):
        name, _, source = part.partition("=")
        kwargs[name] = getattr(own if n == 0 else other, source).pk
    return reverse(r.name, kwargs=kwargs)


NESTED = [r for r in ROWS if r.name.startswith("portal:") and len(r.target.split()) > 1]


@pytest.mark.parametrize("r", NESTED, ids=[r.name for r in NESTED])
def test_someone_elses_record_inside_ones_own_address_is_refused(client, world, quick_documents, r):
    """The patient's own person in the address, the other team's record after it: refused, and the event
    names whose record that was."""
    north, south = world.teams["north"], world.teams["south"]
    patient = world.users["patient"]
    assert ask(client, patient, "GET", address(r, north)).status == 200
    answer = ask(client, patient, "GET", mixed_address(r, north, south))
    assert answer.status == 404
    [event] = answer.refusals
    assert event.person_id == south.person.pk


def test_staff_trying_a_persons_portal_page_are_refused_naming_the_person(client, world):
    north = world.teams["north"]
    answer = ask(client, world.users["coord"], "GET", reverse("portal:person", kwargs={"pk": north.person.pk}))
    assert answer.status == 404
    [event] = answer.refusals
    assert (event.object_type, event.person_id) == ("people.person", north.person.pk)
