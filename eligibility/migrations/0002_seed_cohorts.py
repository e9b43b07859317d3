"""The IPC cohorts the ICB starts with (from NHS England's Integrated Personal Commissioning
programme); administrators can rename, add and retire them in the admin."""

from django.db import migrations

COHORTS = [
    ("long-term-conditions", "Multiple long-term conditions, especially older people with frailty", False),
    ("children-complex-needs", "Children and young people with complex needs, especially with an EHC plan", False),
    (
        "learning-disability-autism",
        "Learning disabilities and/or autism with high support needs or behaviour that challenges, "
        "including people in institutions or at risk of placement",
        False,
    ),
    ("end-of-life", "People receiving end-of-life care", False),
    ("chc-funded", "People funded through NHS Continuing Healthcare", False),
    ("mental-health", "Significant mental health needs, for example on the Care Programme Approach", False),
]


def seed(apps, schema_editor):
    IPCCohort = apps.get_model("eligibility", "IPCCohort")
    for position, (code, name, needs_decision) in enumerate(COHORTS):
        IPCCohort.objects.get_or_create(
            code=code, defaults={"name": name, "needs_decision": needs_decision, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("eligibility", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
