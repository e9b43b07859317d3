"""Caseload searches no longer keep what was typed: old events say "by NHS number" or "by name".

Until now a search was written as "Searched people for 'Jane Smith' (3 found)", so anyone who could read
the trail (administrators included, as these events name no person) could read the names and NHS numbers
staff looked for. New searches are written as "Searched by name in the caseload: 3 found"
(phb.audit.record_list). This migration rewrites the old ones the same way, keeping the count; the search
text is gone for good, on purpose, so going back leaves them as they now are.

The kind of search is the caseload's own rule: what is left after spaces and dashes is all digits: an NHS
number (people.selectors.caseload_for). It is restated here because a migration must not import the app.
As in 0003, the append-only trigger is lifted for this transaction's statements only.
"""

import re

from django.db import migrations

OLD = re.compile(r"^Searched people for (['\"])(?P<text>.*?)\1 \((?P<found>(?:more than )?\d+) found\)$", re.DOTALL)
CUT = re.compile(r"^Searched people for (['\"])(?P<text>.*)$", re.DOTALL)

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


def without_search_text(summary: str) -> str | None:
    """The summary with the typed text taken out, or None if it is not an old search summary."""
    whole = OLD.match(summary)
    match = whole or CUT.match(summary)
    if match is None:
        return None
    typed = re.sub(r"[\s-]+", "", match["text"])
    by = "NHS number" if typed.isdigit() else "name"
    # A summary cut at 200 characters lost its count with the end of the text.
    found = whole["found"] if whole else "an unknown number"
    return f"Searched by {by} in the caseload: {found} found"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if not connection.in_atomic_block:
        raise RuntimeError("This migration must run in a transaction.")
    events = apps.get_model("phb", "AuditEvent").objects.using(connection.alias)
    rewritten: dict[str, list[int]] = {}
    for pk, summary in events.filter(action="search", summary__startswith="Searched people for ").values_list(
        "pk", "summary"
    ):
        new = without_search_text(summary)
        if new is not None:
            rewritten.setdefault(new, []).append(pk)
    if not rewritten:
        return
    for statement in LIFT.get(connection.vendor, []):
        schema_editor.execute(statement, params=None)
    for summary, pks in rewritten.items():
        for start in range(0, len(pks), 5000):
            events.filter(pk__in=pks[start : start + 5000]).update(summary=summary)
    for statement in RESTORE.get(connection.vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("phb", "0006_audit_refuses_truncate")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
