"""Audit actions that say what happened, and the same for events written before they existed.

Until now approve, return, decline, end, revoke and sign-off were all "update" or
"create", and only the summary said which. The summaries were written by a few
services in a fixed wording, so for those the summary makes the action certain:
each rule below names the old action, the kind of record and an anchored pattern,
and a row changes only when all three match. Anything else keeps its action.

The table is append-only (migration 0002): a trigger refuses UPDATE. This
migration lifts it for its own statements only and puts it back before it
commits. ALTER TABLE holds an exclusive lock on the table until then, so no
other session can write while it is off, and as the migration runs in one
transaction, a failure rolls back the lifting together with the updates.
"""

import contextlib
import re
from typing import NamedTuple

from django.db import migrations, models


class Rule(NamedTuple):
    action: str  # the specific action
    was: str  # the generic action the service wrote before
    object_type: str
    pattern: str  # anchored; written for both PostgreSQL (~) and Python's re (SQLite's REGEXP)


DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
N = "[0-9]+"

# Summaries as the services wrote them (see git history of each service).
RULES = (
    # careplans/approval.py and careplans/services.py
    Rule("submit", "update", "careplans.planversion", f"^Submitted version {N} of the plan to the PHB team$"),
    Rule("assign", "update", "careplans.planversion", "^Assigned the plan to themselves$"),
    Rule("approve", "update", "careplans.planversion", f"^Approved version {N} of the plan$"),
    Rule("return", "update", "careplans.planversion", f"^Returned for changes version {N} of the plan$"),
    Rule("decline", "update", "careplans.planversion", f"^Declined version {N} of the plan$"),
    Rule("activate", "update", "careplans.planversion", f"^Version {N} of the plan became active$"),
    Rule("supersede", "update", "careplans.planversion", f"^Version {N} replaced by version {N}$"),
    Rule("withdraw", "update", "careplans.planversion", f"^Version {N} withdrawn: the budget ended$"),
    Rule("end", "update", "careplans.planversion", f"^Ended the personal health budget from {DATE}$"),
    # The nightly job finishing a budget ended from a date in the future.
    Rule("end", "update", "careplans.planversion", f"^The personal health budget ended on {DATE}$"),
    Rule("move_reviews", "update", "careplans.planversion", f"^{N} reviews? moved to version {N}$"),
    Rule("cancel_reviews", "update", "careplans.planversion", f"^{N} reviews? cancelled: the budget ended$"),
    Rule("remove", "update", "careplans.planversion", "^Removed (outcome|support item) "),
    # careplans/reviews.py
    Rule("request_review", "create", "careplans.review", f"^Asked for an unscheduled review by {DATE}: "),
    Rule("record_review", "update", "careplans.review", "^Recorded the review: "),
    # budgets/services.py: sign-off is one decision, signed off or returned (its changes say which).
    Rule("sign_off", "update", "budgets.budgetversion", f"^Budget {N} (signed off|returned)$"),
    Rule("remove", "update", "budgets.assessment", "^Removed current service "),
    # eligibility/services.py: the PHB team's decision on a referral, approved or declined.
    Rule("decide", "update", "eligibility.screening", "^Referral (approved|declined)$"),
    # portal/services.py. An invitation's summary may be cut at 200 characters after a long address.
    Rule("invite", "create", "portal.invitation", "^Invited "),
    Rule("accept_invitation", "create", "portal.invitation", "^Accepted an invitation and set a password$"),
    Rule("revoke", "update", "people.portalaccess", "^Stopped online access for "),
    Rule("send_message", "create", "portal.message", "^Sent a message to (the care coordinator|the person)$"),
)

# Going back, each specific action becomes the generic one the old code wrote.
# Actions the old code never wrote (cancel an invitation, read messages, retry a
# send) become "update", the nearest it had.
GENERIC = {rule.action: rule.was for rule in RULES} | {
    "cancel_invitation": "update",
    "read_messages": "update",
    "retry_send": "update",
}


def specific_action(*, action: str, object_type: str, summary: str) -> str | None:
    """The specific action an old event's summary makes certain, or None to leave it as it is."""
    for rule in RULES:
        if action == rule.was and object_type == rule.object_type and re.search(rule.pattern, summary):
            return rule.action
    return None


# What 0002 created: one trigger on PostgreSQL; on SQLite, which cannot disable a
# trigger, the UPDATE one is dropped and created again exactly as 0002 wrote it.
LIFT = {
    "postgresql": ["ALTER TABLE phb_auditevent DISABLE TRIGGER phb_auditevent_append_only"],
    "sqlite": ["DROP TRIGGER phb_auditevent_no_update"],
}
RESTORE = {
    "postgresql": ["ALTER TABLE phb_auditevent ENABLE TRIGGER phb_auditevent_append_only"],
    "sqlite": [
        """CREATE TRIGGER phb_auditevent_no_update BEFORE UPDATE ON phb_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;"""
    ],
}


@contextlib.contextmanager
def _updates_allowed(schema_editor):
    connection = schema_editor.connection
    if not connection.in_atomic_block:
        # Only the transaction makes it safe: without it a failure would leave the trigger off.
        raise RuntimeError("This migration must run in a transaction.")
    for statement in LIFT.get(connection.vendor, []):
        schema_editor.execute(statement, params=None)
    # No `finally`: after an error the transaction is aborted (PostgreSQL refuses any
    # further statement) and rolling it back puts the trigger back, as DDL is
    # transactional on both databases.
    yield
    for statement in RESTORE.get(connection.vendor, []):
        schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    # The historical model has no custom save() and queryset.update() calls none anyway.
    events = apps.get_model("phb", "AuditEvent").objects.using(schema_editor.connection.alias)
    with _updates_allowed(schema_editor):
        for rule in RULES:
            events.filter(action=rule.was, object_type=rule.object_type, summary__regex=rule.pattern).update(
                action=rule.action
            )


def backwards(apps, schema_editor):
    events = apps.get_model("phb", "AuditEvent").objects.using(schema_editor.connection.alias)
    with _updates_allowed(schema_editor):
        for action, was in GENERIC.items():
            events.filter(action=action).update(action=was)


class Migration(migrations.Migration):
    dependencies = [("phb", "0002_audit_append_only")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("create", "Created"),
                    ("update", "Changed"),
                    ("remove", "Removed"),
                    ("view", "Viewed"),
                    ("search", "Searched"),
                    ("sign_in", "Signed in"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("sign_out", "Signed out"),
                    ("decide", "Decided on a referral"),
                    ("sign_off", "Signed off"),
                    ("submit", "Submitted"),
                    ("assign", "Took to decide"),
                    ("approve", "Approved"),
                    ("return", "Returned for changes"),
                    ("decline", "Declined"),
                    ("activate", "Made active"),
                    ("supersede", "Replaced by a newer version"),
                    ("withdraw", "Withdrawn"),
                    ("end", "Ended"),
                    ("request_review", "Asked for a review"),
                    ("record_review", "Recorded a review"),
                    ("move_reviews", "Moved reviews"),
                    ("cancel_reviews", "Cancelled reviews"),
                    ("invite", "Invited to see records online"),
                    ("accept_invitation", "Accepted an invitation"),
                    ("cancel_invitation", "Cancelled an invitation"),
                    ("revoke", "Stopped online access"),
                    ("send_message", "Sent a message"),
                    ("read_messages", "Read messages"),
                    ("retry_send", "Tried sending again"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
