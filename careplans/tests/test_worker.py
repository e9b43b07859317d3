"""The decision e-mail goes through a real Celery worker and Redis, exactly once (no eager mode)."""

import pytest
from django.conf import settings

from careplans import approval, services, tasks
from careplans.models import DecisionEmail
from careplans.tests.factories import complete_plan
from conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_decision_e_mail_is_sent_once_by_the_worker(celery_worker_process, jane, alice, priya):
    mail, log = celery_worker_process
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, conditions="", acting_user=priya
    )
    email = DecisionEmail.objects.get()
    assert wait_for(lambda: DecisionEmail.objects.get(pk=email.pk).sent_at is not None), "the worker sent nothing"
    assert wait_for(lambda: mail.exists() and len(list(mail.iterdir())) == 1)
    [message] = list(mail.iterdir())
    text = message.read_text()
    assert f"To: {alice.email}" in text
    assert "Plan approved for Jane Smith" in text

    # Asking again (a retry, or the sweep) does not send it twice.
    result = tasks.send_decision_email.delay(email.pk)
    assert wait_for(lambda: f"[{result.id}] succeeded" in log.read_text()), log.read_text()
    assert f"[{result.id}] succeeded" in log.read_text() and "False" in log.read_text().split(result.id)[-1][:200]
    assert len(list(mail.iterdir())) == 1
    assert DecisionEmail.objects.get(pk=email.pk).attempts == 1
