"""The PHB team's decisions through the services: letters, reviews, events, e-mails, races."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from pypdf import PdfReader

from careplans import approval, services
from careplans.models import DecisionEmail, Letter, PlanEvent, PlanVersion, Review, Status
from careplans.tests.factories import complete_plan
from phb.errors import ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(jane, alice):
    version = complete_plan(person=jane, coordinator=alice)
    return services.plan_submit(version=version, acting_user=alice)


def approve(version, user, **overrides):
    values = {"financially_appropriate": True, "clinically_appropriate": True, "conditions": ""}
    values.update(overrides)
    return approval.plan_approve(version=version, acting_user=user, **values)


def letter_text(letter) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(bytes(letter.pdf))).pages)


def test_approval_fixes_the_budget_schedules_the_first_review_and_keeps_the_letter(submitted, priya, alice):
    version = approve(submitted, priya, conditions="Review the taxi costs at the first review")
    # The plan started on 1 April 2026, before today, so it became active straight away.
    assert version.status == Status.ACTIVE
    assert (version.decided_by, version.agreed_annual) == (priya, Decimal("7593.57"))
    review = Review.objects.get(plan=version.plan)
    assert review.due_on == datetime.date(2026, 6, 15)
    steps = list(PlanEvent.objects.filter(plan_version=version).values_list("to_status", flat=True))
    assert steps == ["draft", "submitted", "approved", "active"]
    letter = Letter.objects.get(plan_version=version, kind="approval")
    text = letter_text(letter)
    assert "£7,593.57 a year" in text and "£145.63 a week" in text
    assert "15 June 2026" in text and "1 April 2026" in text
    assert "Review the taxi costs" in text
    email = DecisionEmail.objects.get()
    assert email.to == alice.email and "approved" in email.subject


def test_approval_needs_both_confirmations(submitted, priya):
    with pytest.raises(ValidationError) as error:
        approve(submitted, priya, clinically_appropriate=False)
    assert "clinically appropriate" in str(error.value)
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_nobody_approves_their_own_plan(submitted, alice, leo):
    PlanVersion.objects.filter(pk=submitted.pk).update(updated_by=leo)
    with pytest.raises(ServiceError, match="someone else in the PHB team"):
        approve(submitted, leo)
    with pytest.raises(ServiceError, match="Your role cannot approve"):
        approve(submitted, alice)


def test_a_plan_above_the_threshold_needs_a_lead(submitted, priya, leo, settings):
    settings.PLAN_LEAD_APPROVAL_ABOVE = Decimal("5000.00")
    with pytest.raises(ServiceError, match="need a PHB team lead"):
        approve(submitted, priya)
    assert approve(submitted, leo).decided_by == leo


def test_a_plan_that_is_not_submitted_cannot_be_approved(jane, alice, priya):
    draft = complete_plan(person=jane, coordinator=alice)
    with pytest.raises(ServiceError, match="is a draft, so it cannot be approved"):
        approve(draft, priya)


def test_returning_needs_a_reason_and_makes_a_new_draft_from_the_returned_version(submitted, priya):
    with pytest.raises(ValidationError):
        approval.plan_return(version=submitted, reason=" ", acting_user=priya)
    returned = approval.plan_return(version=submitted, reason="Add how the taxis are booked", acting_user=priya)
    assert returned.status == Status.RETURNED
    draft = returned.plan.versions.get(status=Status.DRAFT)
    assert (draft.number, draft.items.count(), draft.outcomes.count()) == (2, 3, 2)
    assert "Add how the taxis are booked" in letter_text(Letter.objects.get(kind="return"))


@pytest.mark.parametrize("decide", [approval.plan_return, approval.plan_decline], ids=["return", "decline"])
def test_a_decision_for_a_person_with_the_longest_names_still_tells_the_coordinator(submitted, priya, decide):
    # Two names of 100 characters each: the subject "Plan returned for changes: <name>" was 228 characters,
    # past its 200-character column, and the decision failed with a database error.
    person = submitted.plan.person
    person.given_name, person.family_name = "A" * 100, "B" * 100
    person.save(update_fields=["given_name", "family_name"])
    decide(version=PlanVersion.objects.get(pk=submitted.pk), reason="Add how the taxis are booked", acting_user=priya)
    email = DecisionEmail.objects.get()
    assert len(email.subject) == 200 and email.subject.endswith("…")


def test_a_decline_letter_gives_the_reason_and_how_to_ask_again(submitted, priya):
    approval.plan_decline(version=submitted, reason="The plan buys things a budget cannot pay for.", acting_user=priya)
    text = letter_text(Letter.objects.get(kind="decline"))
    assert "The plan buys things a budget cannot pay for." in text
    assert "within 28 days" in text


def test_a_plan_starting_later_is_approved_then_made_active_on_its_start_date(jane, alice, priya):
    future = datetime.date.today() + datetime.timedelta(days=10)
    draft = complete_plan(person=jane, coordinator=alice)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=future,
        first_review_date=future + datetime.timedelta(days=30),
    )
    version = approve(services.plan_submit(version=draft, acting_user=alice), priya)
    assert version.status == Status.APPROVED
    assert approval.activate_due_plans() == 0
    assert approval.activate_due_plans(on=future) == 1
    assert approval.activate_due_plans(on=future) == 0
    version.refresh_from_db()
    assert version.status == Status.ACTIVE
    assert PlanEvent.objects.get(plan_version=version, to_status=Status.ACTIVE).actor is None


def test_an_approved_amendment_supersedes_the_active_version(submitted, priya, leo, alice):
    active = approve(submitted, priya)
    draft = services.plan_amend(plan=active.plan, acting_user=alice)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        agreed_on=datetime.date(2026, 5, 1),
        agreement_method="signed",
    )
    new = services.plan_submit(version=draft, acting_user=alice)
    new = approve(new, leo)
    active.refresh_from_db()
    assert (active.status, new.status) == (Status.SUPERSEDED, Status.ACTIVE)
    # The review schedule carries on: still one review due, now for the new version.
    review = Review.objects.get(plan=active.plan)
    assert review.plan_version == new


def test_ending_a_plan_needs_a_sensible_date_and_writes_a_letter(submitted, priya, alice):
    active = approve(submitted, priya)
    with pytest.raises(ValidationError, match="on or after the plan's start date"):
        approval.plan_end(
            version=active,
            reason="moved_away",
            ended_on=datetime.date(2026, 3, 1),
            note="",
            unspent_to_repay=None,
            acting_user=alice,
        )
    ended = approval.plan_end(
        version=active,
        reason="moved_away",
        ended_on=datetime.date(2026, 9, 30),
        note="Moving to Cornwall.",
        unspent_to_repay=Decimal("120.50"),
        acting_user=alice,
    )
    assert (ended.status, ended.unspent_to_repay) == (Status.ENDED, Decimal("120.50"))
    assert Review.objects.get(plan=ended.plan).status == "cancelled"
    text = letter_text(Letter.objects.get(kind="ending"))
    assert "30 September 2026" in text and "moved away" in text and "120.50" in text


def test_a_coordinator_from_another_team_cannot_end_a_plan(submitted, priya, charlie):
    active = approve(submitted, priya)
    with pytest.raises(ServiceError):
        approval.plan_end(
            version=active,
            reason="died",
            ended_on=datetime.date(2026, 9, 30),
            note="",
            unspent_to_repay=None,
            acting_user=charlie,
        )


def test_decision_emails_are_sent_exactly_once(submitted, priya, alice, mailoutbox):
    approve(submitted, priya)
    email = DecisionEmail.objects.get()
    assert approval.decision_email_send(email.pk) is True
    assert approval.decision_email_send(email.pk) is False
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [alice.email]
    assert mailoutbox[0].extra_headers["X-Idempotency-Key"].startswith(f"careplans.decisionemail-{email.pk}-")
    assert DecisionEmail.objects.get(pk=email.pk).attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_approvers_deciding_at_once_record_exactly_one_decision(jane, alice, priya, leo):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    barrier = threading.Barrier(2)
    outcomes = {}

    def decide(name, action):
        barrier.wait()
        try:
            action()
            outcomes[name] = "decided"
        except ServiceError as error:
            outcomes[name] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("priya", lambda: approve(version, priya))),
        threading.Thread(
            target=decide, args=("leo", lambda: approval.plan_decline(version=version, reason="No", acting_user=leo))
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o == "decided" for o in outcomes.values()) == [False, True]
    [refusal] = [o for o in outcomes.values() if o != "decided"]
    assert "already decided on this plan" in refusal or "now" in refusal
    decisions = PlanEvent.objects.filter(plan_version=version, from_status=Status.SUBMITTED)
    assert decisions.count() == 1


def test_the_queue_uses_the_same_queries_for_5_and_50_plans(client, priya, north, django_assert_max_num_queries):
    from people.tests.factories import PersonFactory, UserFactory

    coordinator = UserFactory(username="cora", teams=[north])

    def add(n):
        for _ in range(n):
            person = PersonFactory(care_team=north, date_of_birth=datetime.date(1950, 1, 1))
            services.plan_submit(version=complete_plan(person=person, coordinator=coordinator), acting_user=coordinator)

    client.force_login(priya)
    add(5)
    with django_assert_max_num_queries(30) as five:
        client.get(reverse("careplans:queue"))
    add(45)
    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(reverse("careplans:queue"), {"sort": "total", "over_budget": ""})
    assert len(response.context["rows"]) == 25  # a page
    assert response.context["page"].count == 50


@pytest.mark.parametrize("persona", ["alice", "charlie", "pat", "ada"])
def test_only_the_phb_team_sees_the_queue_and_decides(client, request, submitted, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("careplans:queue")).status_code == 404
    assert client.get(reverse("careplans:decide", kwargs={"pk": submitted.pk})).status_code == 404
    response = client.post(
        reverse("careplans:decide", kwargs={"pk": submitted.pk}), {"decision": "decline", "reason": "x"}
    )
    assert response.status_code == 404
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.SUBMITTED


def test_the_decision_page_refuses_without_confirmations_and_shows_who_decided(client, submitted, priya, leo):
    client.force_login(leo)
    url = reverse("careplans:decide", kwargs={"pk": submitted.pk})
    response = client.post(url, {"decision": "approve", "financially_appropriate": "on"})
    assert response.context["form"].errors["clinically_appropriate"] == [
        "Confirm that the plan is clinically appropriate"
    ]
    approve(submitted, priya)
    response = client.post(url, {"decision": "decline", "decline_reason": "Too late"})
    assert "Priya Patel already decided on this plan" in response.content.decode()


def test_assign_to_me(client, submitted, priya):
    client.force_login(priya)
    client.post(reverse("careplans:assign", kwargs={"pk": submitted.pk}))
    assert PlanVersion.objects.get(pk=submitted.pk).assigned_to == priya


def test_the_queue_filters_by_team_money_option_and_over_budget(client, priya, alice, charlie, jane, sam, south):
    from careplans.tests.factories import add_item

    north_plan = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    sam_draft = complete_plan(person=sam, coordinator=charlie)
    add_item(
        sam_draft,
        charlie,
        [sam_draft.outcomes.first()],
        description="Night sitter",
        unit_cost="300.00",
        quantity="1",
        money_option="third_party",
        organisation="Carers Trust",
    )
    sam_draft.refresh_from_db()
    sam_draft = services.plan_update(
        version=sam_draft,
        expected_revision=sam_draft.revision,
        acting_user=charlie,
        over_budget_justification="Night sitting",
    )
    south_plan = services.plan_submit(version=sam_draft, acting_user=charlie)
    client.force_login(priya)
    url = reverse("careplans:queue")

    def names(**params):
        return [row["version"].pk for row in client.get(url, params).context["rows"]]

    assert set(names()) == {north_plan.pk, south_plan.pk}
    assert names(team=south.pk) == [south_plan.pk]
    assert names(money_option="third_party") == [south_plan.pk]
    assert set(names(money_option="direct_payment")) == {north_plan.pk, south_plan.pk}
    assert names(over_budget="on") == [south_plan.pk]
    assert names(sort="-total")[0] == south_plan.pk  # highest first
    assert north_plan.pk in names(route="right_to_have")


def test_the_end_page_refuses_an_end_date_before_the_start(client, submitted, priya, alice):
    approve(submitted, priya)
    client.force_login(alice)
    response = client.post(
        reverse("careplans:end", kwargs={"pk": submitted.pk}),
        {"reason": "moved_away", "ended_on_day": "1", "ended_on_month": "1", "ended_on_year": "2026", "note": ""},
    )
    assert "on or after the plan's start date" in response.context["form"].errors["ended_on"][0]
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.ACTIVE


def test_when_redis_is_down_the_e_mail_waits_in_the_outbox_for_the_sweep(submitted, priya, monkeypatch, caplog):
    from careplans import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is not answering")

    approve(submitted, priya)
    email = DecisionEmail.objects.get()
    monkeypatch.setattr(tasks.send_decision_email, "delay", broker_down)
    # What runs after the decision commits: it must not turn the decision into an error page.
    approval._queue_email(email.pk)
    assert "the sweep will send it" in caplog.text
    # Read again after the failed hand-over: the decision stands and the e-mail waits, not marked queued.
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.ACTIVE
    email.refresh_from_db()
    assert (email.sent_at, email.queued_at, email.attempts) == (None, None, 0)
    # Redis is back: the sweep queues it.
    queued = []
    monkeypatch.setattr(tasks.send_decision_emails, "delay", lambda ids, queued_at: queued.append(ids))
    tasks.send_waiting_emails()
    assert queued == [[email.pk]]  # one batch of one


def test_the_decision_form_asks_for_the_reason_under_each_answer(client, submitted, priya):
    client.force_login(priya)
    url = reverse("careplans:decide", kwargs={"pk": submitted.pk})
    page = client.get(url).content.decode()
    assert "What should the coordinator change?" in page
    assert "change? (optional)" not in page and "declined? (optional)" not in page
    assert "Conditions (optional)" in page
    response = client.post(url, {"decision": "return"})
    assert response.context["form"].errors["return_reason"] == ["Enter what the coordinator should change"]
    response = client.post(url, {"decision": "decline"})
    assert response.context["form"].errors["decline_reason"] == ["Enter why the plan is declined"]
    assert PlanVersion.objects.get(pk=submitted.pk).status == Status.SUBMITTED
    page = client.get(reverse("careplans:version", kwargs={"pk": submitted.pk})).content.decode()
    assert "Under budget by £2,835.00" in page
