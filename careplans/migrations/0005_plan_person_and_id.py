from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("careplans", "0004_reviews_due_by_plan"),
        ("people", "0004_caseload_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="supportplan",
            index=models.Index(fields=["person", "id"], name="plan_person_and_id"),
        ),
    ]
