"""Audit actions say what happened, and events written before they did are given theirs by a migration."""

import importlib
import re

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from phb import audit
from phb.models import AuditAction, AuditEvent

specific = importlib.import_module("phb.migrations.0003_specific_audit_actions")

BEFORE = ("phb", "0002_audit_append_only")
AFTER = ("phb", "0003_specific_audit_actions")
PLAN = "careplans.planversion"

# Summaries exactly as the services wrote them before the specific actions existed.
CERTAIN = [
    ("update", PLAN, "Submitted version 2 of the plan to the PHB team", "submit"),
    ("update", PLAN, "Assigned the plan to themselves", "assign"),
    ("update", PLAN, "Approved version 1 of the plan", "approve"),
    ("update", PLAN, "Returned for changes version 12 of the plan", "return"),
    ("update", PLAN, "Declined version 1 of the plan", "decline"),
    ("update", PLAN, "Version 3 of the plan became active", "activate"),
    ("update", PLAN, "Version 2 replaced by version 3", "supersede"),
    ("update", PLAN, "Version 4 withdrawn: the budget ended", "withdraw"),
    ("update", PLAN, "Ended the personal health budget from 2026-03-31", "end"),
    ("update", PLAN, "The personal health budget ended on 2026-03-31", "end"),
    ("update", PLAN, "1 review moved to version 3", "move_reviews"),
    ("update", PLAN, "12 reviews moved to version 3", "move_reviews"),
    ("update", PLAN, "1 review cancelled: the budget ended", "cancel_reviews"),
    ("update", PLAN, "2 reviews cancelled: the budget ended", "cancel_reviews"),
    ("update", PLAN, "Removed outcome To walk to the shops again", "remove"),
    ("update", PLAN, "Removed support item Personal assistant, 10 hours a week", "remove"),
    (
        "create",
        "careplans.review",
        "Asked for an unscheduled review by 2026-05-01: Their health has changed significantly",
        "request_review",
    ),
    (
        "update",
        "careplans.review",
        "Recorded the review: Continue the plan unchanged. Next review due by 2027-01-01",
        "record_review",
    ),
    ("update", "budgets.budgetversion", "Budget 2 signed off", "sign_off"),
    ("update", "budgets.budgetversion", "Budget 2 returned", "sign_off"),
    ("update", "budgets.assessment", "Removed current service Home care", "remove"),
    ("update", "eligibility.screening", "Referral approved", "decide"),
    ("update", "eligibility.screening", "Referral declined", "decide"),
    ("create", "portal.invitation", "Invited pat@example.org to see the record online (themselves)", "invite"),
    # Cut at 200 characters after a long address: still certainly an invitation.
    ("create", "portal.invitation", ("Invited " + "p" * 240 + "@example.org to see the record online")[:200], "invite"),
    ("create", "portal.invitation", "Accepted an invitation and set a password", "accept_invitation"),
    ("update", "people.portalaccess", "Stopped online access for pat@example.org", "revoke"),
    ("create", "portal.message", "Sent a message to the care coordinator", "send_message"),
    ("create", "portal.message", "Sent a message to the person", "send_message"),
]

# Rows the migration must leave alone: another action, another kind of record,
# other wording, or the wording with something after it.
UNCERTAIN = [
    ("view", PLAN, "Approved version 1 of the plan"),
    ("create", PLAN, "Approved version 1 of the plan"),
    ("update", "budgets.budgetversion", "Approved version 1 of the plan"),
    ("update", PLAN, "Approved version 1 of the plan and more"),
    ("update", PLAN, "Changed the plan: goals, start date"),
    ("create", PLAN, "Started version 2 of the plan from version 1"),
    ("update", PLAN, "Changed in admin: status"),
    ("update", "budgets.assessment", "Changed current service Removed current service"),
    ("create", "people.person", "Added Referral approved"),
    ("update", "eligibility.screening", "Referral waiting for a decision"),
    ("update", "budgets.budgetversion", "Budget 2 awaiting"),
    ("create", "portal.invitation", "Invitation cancelled"),
    ("update", "portal.message", "Sent a message to the person"),
    ("sign_in", "", "Signed in"),
]


@pytest.mark.parametrize(("action", "object_type", "summary", "expected"), CERTAIN)
def test_it_names_the_action_the_summary_makes_certain(action, object_type, summary, expected):
    assert specific.specific_action(action=action, object_type=object_type, summary=summary) == expected


@pytest.mark.parametrize(("action", "object_type", "summary"), UNCERTAIN)
def test_it_leaves_anything_else_alone(action, object_type, summary):
    assert specific.specific_action(action=action, object_type=object_type, summary=summary) is None


@pytest.mark.parametrize(("action", "object_type", "summary", "expected"), CERTAIN)
def test_no_summary_matches_two_rules(action, object_type, summary, expected):
    matching = [
        rule
        for rule in specific.RULES
        if (rule.was, rule.object_type) == (action, object_type) and re.search(rule.pattern, summary)
    ]
    assert len(matching) == 1


def test_going_back_covers_every_new_action_and_only_those():
    # The actions as 0003 left them (0004 and later add more, which going back past 0003 does not meet).
    [altered] = [op for op in specific.Migration.operations if getattr(op, "name", "") == "action"]
    old = {value for value, _ in altered.field.choices} - set(specific.GENERIC)
    assert old == {"create", "update", "view", "search", "sign_in", "sign_in_failed", "sign_out"}
    assert set(specific.GENERIC) <= set(AuditAction.values)
    assert set(specific.GENERIC.values()) <= {"create", "update"}
    assert all(len(value) <= AuditEvent._meta.get_field("action").max_length for value in AuditAction.values)


def _migrate(target):
    MigrationExecutor(connection).migrate([target])


def _migrate_to_the_latest():
    """Every app forward again: going back to BEFORE also took back phb's later migrations (and anything
    depending on them), which AFTER alone does not bring back."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _trigger_state() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'phb_auditevent_append_only'")
        return cursor.fetchone()[0]


def _refuses_update(event_id) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE phb_auditevent SET summary = 'tampered' WHERE id = %s", [event_id])
    except DatabaseError as error:
        return "append-only" in str(error)
    return False


@pytest.fixture
def old_trail():
    """Rows as the old code left them, in a database migrated back to before the specific actions."""
    _migrate(BEFORE)
    try:
        rows = [(action, object_type, summary) for action, object_type, summary, _ in CERTAIN] + UNCERTAIN
        events = AuditEvent.objects.bulk_create(
            AuditEvent(action=action, object_type=object_type, summary=summary) for action, object_type, summary in rows
        )
        yield {event.pk: (event.action, event.object_type, event.summary) for event in events}
    finally:
        _migrate_to_the_latest()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_old_events_their_action_and_the_table_stays_append_only(old_trail):
    _migrate(AFTER)

    expected = {
        pk: specific.specific_action(action=action, object_type=object_type, summary=summary) or action
        for pk, (action, object_type, summary) in old_trail.items()
    }
    assert dict(AuditEvent.objects.values_list("pk", "action")) == expected
    assert AuditEvent.objects.exclude(action__in=["create", "update", "view", "sign_in"]).count() == len(CERTAIN)
    assert _trigger_state() == "O"
    assert _refuses_update(next(iter(old_trail)))

    # Back again: the old code knew only the generic actions.
    _migrate(BEFORE)
    assert dict(AuditEvent.objects.values_list("pk", "action")) == {
        pk: action for pk, (action, _, _) in old_trail.items()
    }
    assert _trigger_state() == "O"
    assert _refuses_update(next(iter(old_trail)))


@pytest.mark.django_db(transaction=True)
def test_a_failing_migration_changes_nothing_and_leaves_the_trigger_on(old_trail, monkeypatch):
    broken = specific.Rule("approve", "update", PLAN, "^Approved (")  # PostgreSQL refuses this pattern
    with monkeypatch.context() as patch:
        patch.setattr(specific, "RULES", (*specific.RULES, broken))
        with pytest.raises(DatabaseError, match="regular expression"):
            _migrate(AFTER)

    assert dict(AuditEvent.objects.values_list("pk", "action")) == {
        pk: action for pk, (action, _, _) in old_trail.items()
    }
    assert _trigger_state() == "O"
    assert _refuses_update(next(iter(old_trail)))


@pytest.mark.django_db
def test_administrators_can_filter_the_trail_by_action(client, ada):
    audit.record(actor=ada, action=AuditAction.APPROVE, summary="Approved version 1 of the plan")
    audit.record(actor=ada, action=AuditAction.UPDATE, summary="Changed in admin: email")
    client.force_login(ada)

    response = client.get("/admin/phb/auditevent/", {"action__exact": AuditAction.APPROVE})

    assert response.status_code == 200
    assert [event.summary for event in response.context["cl"].result_list] == ["Approved version 1 of the plan"]
    assert "Approved" in response.content.decode()
