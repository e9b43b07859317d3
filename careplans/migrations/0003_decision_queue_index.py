from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0003_sign_off_queue_index"),
        ("careplans", "0002_freeze_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="planversion",
            index=models.Index(
                condition=models.Q(("status", "submitted")),
                fields=["submitted_at", "id"],
                name="plan_version_to_decide",
            ),
        ),
    ]
