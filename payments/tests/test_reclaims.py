"""Repayments (regulation 13) and stopping direct payments (regulation 14): proposing with a letter, the person's
response, four eyes on the decision, a repayment taken off the next payments or paid back (both in the balance),
stopping holding the payments from its date, withdrawing, and the letters as the person reads them."""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader

from careplans.tests.factories import complete_plan
from payments import balance, reclaim_access, reclaims
from payments.models import (
    ActionKind,
    ActionStatus,
    AfterStopping,
    MoneyAction,
    Recovery,
    ScheduleLine,
    Statement,
    StatementFormat,
    Transaction,
)
from payments.rules import TO_PAY_BACK, LineKind, LineStatus
from payments.services import _as_rule_line
from people.tests.factories import PersonFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent
from phb.words import long_date

REASONS = "The account holds £2,400 more than the plan needs.\nIt has not been spent on the agreed support."


def text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(bytes(content))).pages)


def first_period(plan) -> datetime.date:
    return reclaims.payment_periods(plan, on=timezone.localdate())[0][0]


def propose(plan, user, amount="300.00"):
    return reclaims.propose_reclaim(
        plan=plan, amount=Decimal(amount), reasons=REASONS, from_period=first_period(plan), acting_user=user
    )


def stop(plan, user, *, effective_on=None, after=AfterStopping.NOTIONAL):
    effective_on = effective_on or reclaims.respond_by_for(timezone.localdate()) + datetime.timedelta(days=1)
    return reclaims.propose_stop(
        plan=plan,
        effective_on=effective_on,
        after_stopping=after,
        reasons="Money spent on a holiday.",
        acting_user=user,
    )


def past_respond_by(action):
    """As if the respond-by date had passed with no response."""
    MoneyAction.objects.filter(pk=action.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    action.refresh_from_db()
    return action


def rule_lines(plan):
    return [_as_rule_line(line) for line in ScheduleLine.objects.filter(plan=plan)]


@pytest.fixture
def reclaim(active, maker):
    return propose(active.plan, maker)


# Proposing


def test_it_proposes_a_repayment_with_a_letter_and_the_respond_by_date(active, maker, reclaim):
    assert reclaim.kind == ActionKind.RECLAIM and reclaim.status == ActionStatus.PROPOSED
    assert reclaim.respond_by == timezone.localdate() + datetime.timedelta(days=settings.PAYMENTS_RESPONSE_DAYS)
    assert reclaim.proposed_by == maker and reclaim.amount == Decimal("300.00")
    event = AuditEvent.objects.get(action=AuditAction.PROPOSE_RECLAIM, object_id=str(reclaim.pk))
    assert event.actor == maker and event.person_id == active.plan.person_id
    assert "£300.00" in event.summary


def test_the_repayment_letter_says_the_amount_why_from_when_and_how_to_respond_by_when(reclaim):
    letter = text(reclaim.letter_pdf)
    assert "£300.00" in letter
    assert "The account holds £2,400 more than the plan needs." in letter
    assert "It has not been spent on the agreed support." in letter
    assert long_date(reclaim.respond_by) in letter
    assert long_date(reclaim.from_period) in letter
    assert settings.ORGANISATION_PHONE in letter and settings.ORGANISATION_EMAIL in letter
    assert "regulation 13" in letter and "Nothing has been decided yet" in letter


def test_the_stopping_letter_says_from_when_why_what_happens_after_and_the_respond_by_date(active, maker):
    action = stop(active.plan, maker, after=AfterStopping.END)
    letter = text(action.letter_pdf)
    assert f"stop the direct payments for your personal health budget from {long_date(action.effective_on)}" in letter
    assert "Money spent on a holiday." in letter and long_date(action.respond_by) in letter
    assert "your personal health budget ends" in letter and "regulation 14" in letter


def test_only_one_of_each_kind_waits_for_a_decision_on_a_plan(active, maker, reclaim):
    with pytest.raises(ServiceError, match="already waiting"):
        propose(active.plan, maker)
    stopping = stop(active.plan, maker)  # the other kind may be proposed
    with pytest.raises(ServiceError, match="already waiting"):
        stop(active.plan, maker)
    reclaims.withdraw(action=stopping, acting_user=maker)
    assert stop(active.plan, maker).status == ActionStatus.PROPOSED  # once withdrawn, it can be proposed again


def test_only_a_plan_with_direct_payment_or_third_party_money_in_force_can_have_one(north, alice, maker):
    person = PersonFactory(given_name="No", family_name="Force", care_team=north, lead_coordinator=alice)
    draft = complete_plan(person=person, coordinator=alice)  # a draft: nothing in force
    assert reclaims.proposal_facts(draft.plan, on=timezone.localdate()) == (set(), set())
    with pytest.raises(ServiceError, match="no direct payment or third-party money in force"):
        stop(draft.plan, maker)


def test_proposals_refuse_bad_values_by_field(active, maker):
    with pytest.raises(ValidationError) as error:
        reclaims.propose_reclaim(
            plan=active.plan, amount=Decimal("0.001"), reasons="  ", from_period=timezone.localdate(), acting_user=maker
        )
    assert set(error.value.message_dict) == {"amount", "reasons", "from_period"}
    with pytest.raises(ValidationError) as error:
        stop(active.plan, maker, effective_on=reclaims.respond_by_for(timezone.localdate()))
    assert "after" in error.value.message_dict["effective_on"][0]
    assert not MoneyAction.objects.exists()


def test_only_the_phb_team_proposes(active, alice):
    with pytest.raises(ServiceError, match="Only the PHB team"):
        propose(active.plan, alice)


# The response


def test_the_person_s_response_is_recorded_by_their_coordinator_or_the_phb_team_not_another_team(
    reclaim, alice, charlie, leo
):
    with pytest.raises(ServiceError):
        reclaims.record_response(action=reclaim, response="No", response_on=timezone.localdate(), acting_user=charlie)
    done = reclaims.record_response(
        action=reclaim, response="I was saving for a wheelchair.", response_on=timezone.localdate(), acting_user=alice
    )
    assert done.response_on == timezone.localdate() and done.response_recorded_by == alice
    assert AuditEvent.objects.filter(action=AuditAction.RECORD_RESPONSE, actor=alice).exists()
    assert reclaim_access.respond_refusal(leo, done) == ""


def test_a_response_dated_in_the_future_is_refused(reclaim, alice):
    with pytest.raises(ValidationError) as error:
        reclaims.record_response(
            action=reclaim,
            response="Later",
            response_on=timezone.localdate() + datetime.timedelta(days=1),
            acting_user=alice,
        )
    assert "response_on" in error.value.message_dict


# Deciding: four eyes and the respond-by date


def test_whoever_proposed_cannot_decide_even_after_the_respond_by_date(reclaim, maker):
    past_respond_by(reclaim)
    assert "Someone else" in reclaim_access.decide_refusal(maker, reclaim)
    with pytest.raises(ServiceError, match="Someone else"):
        reclaims.decide(action=reclaim, agree=False, decision_reasons="No", acting_user=maker)


def test_the_database_refuses_a_decider_who_proposed_it(reclaim, maker):
    with pytest.raises(IntegrityError), transaction.atomic():
        MoneyAction.objects.filter(pk=reclaim.pk).update(
            status=ActionStatus.NOT_AGREED, decided_by=maker, decided_at=timezone.now()
        )


def test_a_decision_before_the_respond_by_date_is_refused_unless_a_response_was_recorded(reclaim, checker, alice):
    assert "has until" in reclaim_access.decide_refusal(checker, reclaim)
    with pytest.raises(ServiceError, match="has until"):
        reclaims.decide(action=reclaim, agree=False, decision_reasons="No", acting_user=checker)
    reclaims.record_response(action=reclaim, response="I agree.", response_on=timezone.localdate(), acting_user=alice)
    reclaim.refresh_from_db()
    assert reclaim_access.decide_refusal(checker, reclaim) == ""
    done = reclaims.decide(action=reclaim, agree=False, decision_reasons="Explained.", acting_user=checker)
    assert done.status == ActionStatus.NOT_AGREED


def test_coordinators_never_decide(reclaim, alice):
    past_respond_by(reclaim)
    assert "Only the PHB team" in reclaim_access.decide_refusal(alice, reclaim)


def test_not_agreeing_changes_no_payment_and_writes_a_decision_letter(active, reclaim, checker):
    before = sorted(ScheduleLine.objects.filter(plan=active.plan).values_list("pk", "amount", "status"))
    done = reclaims.decide(
        action=past_respond_by(reclaim),
        agree=False,
        decision_reasons="The money was saved for a wheelchair.",
        acting_user=checker,
    )
    assert sorted(ScheduleLine.objects.filter(plan=active.plan).values_list("pk", "amount", "status")) == before
    letter = text(done.decision_letter_pdf)
    assert "you do not need to pay the money back" in letter and "The money was saved for a wheelchair." in letter
    event = AuditEvent.objects.get(action=AuditAction.DECIDE_RECLAIM)
    assert event.actor == checker and event.changes["status"] == ["proposed", "not_agreed"]


# Agreed repayments


def test_a_repayment_taken_off_3_payments_makes_3_repayment_lines_and_the_balance_falls_by_it(active, reclaim, checker):
    before = {
        line.pk: (line.amount, line.status, line.due_on) for line in ScheduleLine.objects.filter(plan=active.plan)
    }
    lines_before = rule_lines(active.plan)
    done = reclaims.decide(
        action=past_respond_by(reclaim),
        agree=True,
        decision_reasons="Not used as agreed.",
        recovery=Recovery.DEDUCT,
        instalments=3,
        acting_user=checker,
    )
    after = list(ScheduleLine.objects.filter(plan=active.plan))
    # Every line that was there is unchanged; only the repayment lines are new.
    assert {line.pk: (line.amount, line.status, line.due_on) for line in after if line.pk in before} == before
    recovery = sorted((line for line in after if line.pk not in before), key=lambda line: line.due_on)
    assert len(recovery) == 3 and all(line.kind == LineKind.RECLAIM for line in recovery)
    assert sum(line.amount for line in recovery) == -Decimal("300.00")
    assert [line.amount for line in recovery] == [Decimal("-100.00")] * 3
    assert all(line.due_on >= timezone.localdate() and line.money_option == "direct_payment" for line in recovery)
    # The next three direct payments still to be paid, in date order.
    payments = sorted(
        (line for line in after if line.kind == LineKind.PAYMENT and line.money_option == "direct_payment"),
        key=lambda line: line.due_on,
    )
    assert [line.due_on for line in recovery] == [
        line.due_on for line in payments if line.due_on >= timezone.localdate()
    ][:3]
    on = recovery[-1].due_on
    fell = balance.balance(lines_before, [], on).balance - balance.balance(rule_lines(active.plan), [], on).balance
    assert fell == Decimal("300.00")
    assert done.status == ActionStatus.AGREED and done.recovery == Recovery.DEDUCT and done.instalments == 3
    letter = text(done.decision_letter_pdf)
    assert "£300.00 must be paid back" in letter and "£100.00 off the payment due on" in letter
    assert long_date(recovery[0].due_on) in letter


def test_a_repayment_over_more_payments_than_are_left_is_refused_on_the_number_of_payments(reclaim, checker):
    with pytest.raises(ValidationError) as error:
        reclaims.decide(
            action=past_respond_by(reclaim),
            agree=True,
            decision_reasons="Not used as agreed.",
            recovery=Recovery.DEDUCT,
            instalments=26,
            acting_user=checker,
        )
    assert "payments left" in error.value.message_dict["instalments"][0]
    assert MoneyAction.objects.get(pk=reclaim.pk).status == ActionStatus.PROPOSED
    assert not ScheduleLine.objects.filter(kind__in=TO_PAY_BACK).exists()


def test_a_repayment_paid_back_is_a_recovery_transaction_in_a_typed_statement_and_the_balance_falls(
    active, reclaim, checker
):
    lines = rule_lines(active.plan)
    before = balance.balance(lines, [], timezone.localdate()).balance
    done = reclaims.decide(
        action=past_respond_by(reclaim),
        agree=True,
        decision_reasons="Not used as agreed.",
        recovery=Recovery.PAID_BACK,
        acting_user=checker,
    )
    paid = Transaction.objects.get(plan=active.plan)
    assert paid.kind == "recovery" and paid.amount == Decimal("300.00") and paid.on == timezone.localdate()
    statement = Statement.objects.get(pk=paid.statement_id)
    assert (
        statement.file_format == StatementFormat.REPAYMENT
        and statement.covers_from == statement.covers_to == timezone.localdate()
    )
    seen = [balance.Transaction(on=paid.on, amount=paid.amount, kind=balance.TransactionKind(paid.kind))]
    assert before - balance.balance(lines, seen, timezone.localdate()).balance == Decimal("300.00")
    assert not ScheduleLine.objects.filter(kind__in=TO_PAY_BACK).exists()
    assert done.instalments is None and "is to be paid back to us" in text(done.decision_letter_pdf)


# Agreed stopping


def test_stopping_holds_the_payments_into_the_account_from_its_date_and_not_before(active, maker, checker):
    lines = list(ScheduleLine.objects.filter(plan=active.plan, money_option="direct_payment"))
    # A stop date inside a period, so that period is split there by days.
    spanning = next(line for line in lines if line.period_start > reclaims.respond_by_for(timezone.localdate()))
    effective_on = spanning.period_start + datetime.timedelta(days=10)
    total = sum(line.amount for line in ScheduleLine.objects.filter(plan=active.plan))
    notional = sorted(
        ScheduleLine.objects.filter(plan=active.plan, money_option="notional").values_list("pk", "status")
    )
    action = stop(active.plan, maker, effective_on=effective_on)
    done = reclaims.decide(
        action=past_respond_by(action), agree=True, decision_reasons="Not used as agreed.", acting_user=checker
    )
    after = list(ScheduleLine.objects.filter(plan=active.plan, money_option="direct_payment"))
    held = [line for line in after if line.status == LineStatus.HELD]
    assert held and all(line.period_start >= effective_on for line in held)
    assert all(line.status == LineStatus.SCHEDULED for line in after if line.period_start < effective_on)
    assert all(line.period_end < effective_on for line in after if line.status == LineStatus.SCHEDULED)
    assert all("Direct payments stopped from" in line.hold_reason for line in held)
    assert any(line.period_start == effective_on for line in held)  # the split period's days from the stop
    assert sum(line.amount for line in ScheduleLine.objects.filter(plan=active.plan)) == total  # nothing lost
    assert (
        sorted(ScheduleLine.objects.filter(plan=active.plan, money_option="notional").values_list("pk", "status"))
        == notional
    )
    assert done.status == ActionStatus.AGREED and "notional budget" in reclaims.next_step(done)
    assert f"stop your direct payments from {long_date(effective_on)}" in text(done.decision_letter_pdf)


def test_stopping_to_end_the_budget_leaves_the_ending_as_a_next_step(active, maker, checker):
    action = stop(active.plan, maker, after=AfterStopping.END)
    done = reclaims.decide(action=past_respond_by(action), agree=True, decision_reasons="Misused.", acting_user=checker)
    assert "end the budget from" in reclaims.next_step(done)
    active.refresh_from_db()
    assert active.status == "active"  # careplans ends budgets; nothing here ends it


# Withdrawing


def test_a_proposal_is_withdrawn_once_and_then_nothing_more_can_be_done_with_it(active, reclaim, maker, checker, alice):
    assert reclaim_access.withdraw_refusal(alice, reclaim) != ""
    done = reclaims.withdraw(action=reclaim, acting_user=checker)
    assert done.status == ActionStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action=AuditAction.WITHDRAW, object_id=str(reclaim.pk), actor=checker).exists()
    for refusal in (reclaim_access.withdraw_refusal, reclaim_access.decide_refusal, reclaim_access.respond_refusal):
        assert "withdrawn" in refusal(maker if refusal is not reclaim_access.decide_refusal else checker, done)
    with pytest.raises(ServiceError, match="withdrawn"):
        reclaims.withdraw(action=done, acting_user=maker)


def test_proposal_facts_say_the_money_in_force_and_what_waits_in_one_query(
    active, maker, reclaim, django_assert_num_queries
):
    stop(active.plan, maker)
    with django_assert_num_queries(1):
        facts = reclaims.proposal_facts(active.plan, on=timezone.localdate())
    assert facts == ({"direct_payment", "notional"}, {ActionKind.RECLAIM, ActionKind.STOP})


def test_a_proposal_letter_with_short_reasons_is_one_page(reclaim):
    assert len(PdfReader(io.BytesIO(bytes(reclaim.letter_pdf))).pages) == 1


def test_a_stopping_letter_with_short_reasons_is_one_page(active, maker):
    assert len(PdfReader(io.BytesIO(bytes(stop(active.plan, maker).letter_pdf))).pages) == 1
