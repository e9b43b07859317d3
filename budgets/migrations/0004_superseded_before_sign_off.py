"""Budgets still waiting for sign-off when a newer one was worked out become "superseded": they leave the
PHB team's queue (which no longer has to step over them) and nobody signs them off."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_superseded(apps, schema_editor):
    BudgetVersion = apps.get_model("budgets", "BudgetVersion")
    newer = BudgetVersion.objects.filter(person_id=OuterRef("person_id"), number__gt=OuterRef("number"))
    BudgetVersion.objects.filter(sign_off="awaiting").filter(Exists(newer)).update(sign_off="superseded")


def unmark_superseded(apps, schema_editor):
    apps.get_model("budgets", "BudgetVersion").objects.filter(sign_off="superseded").update(sign_off="awaiting")


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_sign_off_queue_index"),
        ("people", "0004_caseload_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="budgetversion",
            name="budget_sign_off_has_who_when",
        ),
        migrations.AlterField(
            model_name="budgetversion",
            name="sign_off",
            field=models.CharField(
                choices=[
                    ("not_needed", "Not needed"),
                    ("awaiting", "Waiting for PHB team sign-off"),
                    ("signed_off", "Signed off"),
                    ("returned", "Returned"),
                    ("superseded", "Replaced by a newer budget before sign-off"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="budgetversion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("sign_off__in", ["not_needed", "awaiting", "superseded"]),
                    models.Q(("signed_off_by__isnull", False), ("signed_off_at__isnull", False)),
                    _connector="OR",
                ),
                name="budget_sign_off_has_who_when",
            ),
        ),
        migrations.RunPython(mark_superseded, unmark_superseded),
    ]
