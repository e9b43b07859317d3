from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("budgets", "0002_service_versions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="budgetversion",
            index=models.Index(
                condition=models.Q(("sign_off", "awaiting")),
                fields=["created_at", "id"],
                name="budget_awaiting_sign_off",
            ),
        ),
    ]
