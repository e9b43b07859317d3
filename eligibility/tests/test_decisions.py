"""The PHB team decides referrals: once, with a reason, and nobody else can."""

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from eligibility import services
from eligibility.models import Decision, Screening
from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent


@pytest.fixture
def waiting(alice, jane):
    return referral(person=jane, coordinator=alice)


@pytest.mark.django_db
def test_it_records_an_approval_with_its_reason_and_shows_it_to_the_coordinator(client, priya, alice, waiting):
    client.force_login(priya)
    response = client.post(
        reverse("eligibility:decide", kwargs={"pk": waiting.pk}),
        {"decision": "approve", "reason": "The package meets needs a budget could meet better."},
    )
    assert response["Location"] == reverse("eligibility:queue")
    waiting.refresh_from_db()
    assert (waiting.decision, waiting.decided_by) == (Decision.APPROVED, priya)
    event = AuditEvent.objects.get(action=AuditAction.DECIDE, object_id=str(waiting.pk))
    assert event.changes["decision"] == ["awaiting", "approved"]

    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": waiting.person_id})).content.decode()
    assert "Eligible: approved by the PHB team" in page
    assert "The package meets needs a budget could meet better." in page


@pytest.mark.django_db
def test_the_trail_says_the_screening_was_created_then_decided(priya, waiting):
    services.screening_decide(screening=waiting, approve=False, reason="Needs are met well now.", acting_user=priya)
    events = AuditEvent.objects.filter(object_id=str(waiting.pk)).order_by("at", "id")
    assert [e.action for e in events] == [AuditAction.CREATE, AuditAction.DECIDE]
    assert events.last().summary == "Referral declined"


@pytest.mark.django_db
def test_it_requires_a_reason(client, priya, waiting):
    client.force_login(priya)
    response = client.post(reverse("eligibility:decide", kwargs={"pk": waiting.pk}), {"decision": "decline"})
    assert response.context["form"].errors["reason"] == ["Enter the reason for your decision"]
    with pytest.raises(ValidationError):
        services.screening_decide(screening=waiting, approve=False, reason="  ", acting_user=priya)
    waiting.refresh_from_db()
    assert waiting.decision == Decision.AWAITING


@pytest.mark.django_db
def test_it_refuses_a_second_decision_and_says_who_decided(client, priya, leo, waiting):
    services.screening_decide(screening=waiting, approve=True, reason="Meets the criteria.", acting_user=priya)
    client.force_login(leo)
    response = client.post(
        reverse("eligibility:decide", kwargs={"pk": waiting.pk}), {"decision": "decline", "reason": "No."}
    )
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error.startswith("Priya Patel already decided this screening")
    waiting.refresh_from_db()
    assert (waiting.decision, waiting.decided_by) == (Decision.APPROVED, priya)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "charlie", "pat", "ada"])
def test_it_lets_only_the_phb_team_decide_or_see_the_queue(client, request, waiting, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(reverse("eligibility:queue")).status_code == 404
    assert client.get(reverse("eligibility:decide", kwargs={"pk": waiting.pk})).status_code == 404
    response = client.post(
        reverse("eligibility:decide", kwargs={"pk": waiting.pk}), {"decision": "approve", "reason": "x"}
    )
    assert response.status_code == 404
    with pytest.raises(ServiceError):
        services.screening_decide(screening=waiting, approve=True, reason="x", acting_user=user)
    waiting.refresh_from_db()
    assert waiting.decision == Decision.AWAITING


@pytest.mark.django_db
def test_it_refuses_a_decision_on_a_screening_that_needs_none(priya, alice, jane):
    screening = referral(person=jane, coordinator=alice)
    Screening.objects.filter(pk=screening.pk).update(outcome="eligible", decision="not_needed")
    screening.refresh_from_db()
    with pytest.raises(ServiceError, match="does not need"):
        services.screening_decide(screening=screening, approve=True, reason="x", acting_user=priya)


@pytest.mark.django_db
def test_the_queue_lists_oldest_first_with_block_contract_services(client, priya, alice, north, jane):
    first = referral(person=jane, coordinator=alice, services_in_block=("Day centre",))
    second = referral(person=PersonFactory(care_team=north), coordinator=alice, services_in_block=("Respite",))
    client.force_login(priya)
    response = client.get(reverse("eligibility:queue"))
    assert [s.pk for s in response.context["screenings"]] == [first.pk, second.pk]
    page = response.content.decode()
    assert "Day centre" in page and "Respite" in page


@pytest.mark.django_db
def test_the_queue_counts_days_waiting_from_the_screening_date_and_puts_the_longest_wait_first(
    client, priya, alice, north, jane
):
    today = timezone.localdate()
    typed_in_late = referral(person=jane, coordinator=alice, on=today - datetime.timedelta(days=12))
    recent = referral(person=PersonFactory(care_team=north), coordinator=alice, on=today - datetime.timedelta(days=2))
    Screening.objects.filter(pk=recent.pk).update(created_at=typed_in_late.created_at - datetime.timedelta(hours=1))
    client.force_login(priya)
    response = client.get(reverse("eligibility:queue"))
    assert [s.pk for s in response.context["screenings"]] == [typed_in_late.pk, recent.pk]
    page = " ".join(response.content.decode().split())
    assert "Waiting </span>12 days" in page and "Waiting </span>2 days" in page


@pytest.mark.django_db
def test_the_queue_uses_the_same_queries_for_5_and_50_referrals(
    client, priya, alice, north, django_assert_num_queries, django_assert_max_num_queries
):
    from eligibility.tests.factories import IPCCohortFactory

    cohort = IPCCohortFactory(code="ld", name="Learning disability", needs_decision=True)

    def add(n):
        for _ in range(n):
            screening = referral(person=PersonFactory(care_team=north), coordinator=alice)
            screening.cohorts.add(cohort)

    client.force_login(priya)
    add(5)
    with django_assert_max_num_queries(50) as five:
        response = client.get(reverse("eligibility:queue"))
    assert len(response.context["screenings"]) == 5
    add(45)
    with django_assert_num_queries(len(five.captured_queries)):
        response = client.get(reverse("eligibility:queue"))
    assert len(response.context["screenings"]) == 25  # a page
    assert response.context["page"].count == 50


@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_record_exactly_one_decision(priya, leo, alice, jane):
    waiting = referral(person=jane, coordinator=alice)
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(user, approve):
        try:
            barrier.wait()
            services.screening_decide(screening=waiting, approve=approve, reason=f"By {user}", acting_user=user)
            outcomes.append("decided")
        except ServiceError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(priya, True)), threading.Thread(target=decide, args=(leo, False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o == "decided" for o in outcomes) == [False, True]
    assert any("already decided this screening" in o for o in outcomes)
    assert AuditEvent.objects.filter(action=AuditAction.DECIDE, object_id=str(waiting.pk)).count() == 1
