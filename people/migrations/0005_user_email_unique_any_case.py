"""E-mail addresses become the sign-in name, so no two accounts may share one in any case."""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count, Q
from django.db.models.functions import Lower


def refuse_if_addresses_are_shared(apps, schema_editor):
    User = apps.get_model("people", "User")
    shared = (
        User.objects.exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
        .annotate(accounts=Count("id"))
        .filter(accounts__gt=1)
        .order_by("address")
    )
    clashes = [
        f"{row['address']}: {', '.join(User.objects.filter(email__iexact=row['address']).values_list('username', flat=True))}"
        for row in shared
    ]
    if clashes:
        raise RuntimeError(
            "Some accounts share an email address, and people now sign in with their email address. "
            "Give each of these accounts its own address (or clear it) in the admin, then run migrate again:\n"
            + "\n".join(clashes)
        )


class Migration(migrations.Migration):
    dependencies = [("people", "0004_caseload_indexes")]

    operations = [
        migrations.RunPython(refuse_if_addresses_are_shared, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_any_case",
                violation_error_message="Another account already uses this email address.",
            ),
        ),
    ]
