"""At most one unscheduled review due per plan.

Before this, asking for a review twice made two (eight identical posts made eight due reviews, each with
its reminders). Reviews already asked for twice are put together first: the one due soonest stays due,
the others are cancelled, so the rule can be added to a database that already has such pairs.
"""

from django.db import migrations, models


def cancel_repeated_requests(apps, schema_editor):
    Review = apps.get_model("careplans", "Review")
    waiting = Review.objects.filter(kind="unscheduled", status="due").order_by("plan_id", "due_on", "created_at", "id")
    seen, repeated = set(), []
    for review_id, plan_id in waiting.values_list("id", "plan_id").iterator():
        if plan_id in seen:
            repeated.append(review_id)
        seen.add(plan_id)
    for start in range(0, len(repeated), 1000):
        Review.objects.filter(pk__in=repeated[start : start + 1000]).update(status="cancelled")


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0005_plan_person_and_id"),
    ]

    operations = [
        migrations.RunPython(cancel_repeated_requests, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="review",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "unscheduled"), ("status", "due")),
                fields=("plan",),
                name="review_one_unscheduled_due",
            ),
        ),
    ]
