"""The demo shows the money in use: a newcomer signed in as any demo user finds a direct payment paid, a statement
with spending matched and one payment still to match, a receipt typed in, a hold, and repayments decided and
waiting, all made by the services as the demo users; running the demo again adds nothing."""

from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from careplans.models import PlanVersion, Status
from careplans.rules import MoneyOption
from payments.balance import TransactionKind
from payments.models import (
    ActionKind,
    ActionStatus,
    MoneyAction,
    PaymentRun,
    Receipt,
    Recovery,
    RunStatus,
    ScheduleLine,
    Statement,
    StatementFormat,
    Suspension,
    Transaction,
)
from payments.rules import LineKind
from payments.statement_services import receipt_type
from people.demo import demo_person
from phb.models import AuditEvent
from portal.demo import REPRESENTATIVE

pytestmark = pytest.mark.django_db

EILEEN, OLIVER = 4, 17


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module and rolled back at the end (as portal/tests/test_seed_demo.py)."""
    with django_db_blocker.unblock(), override_settings(DEBUG=True), transaction.atomic():
        import_module("eligibility.migrations.0002_seed_cohorts").seed(apps, None)
        call_command("seed_demo")
        yield
        transaction.set_rollback(True)


@pytest.fixture
def eileen_plan(demo):
    return demo_person(EILEEN).support_plans.get()


def test_it_pays_eileens_personal_care_as_a_direct_payment_to_her_son_and_a_confirmed_run_paid_it(eileen_plan):
    in_force = PlanVersion.objects.get(plan=eileen_plan, status=Status.ACTIVE)
    assert in_force.dp_recipient_name == "Michael Walsh"
    options = {item.description: item.money_option for item in in_force.items.all()}
    assert options["Community transport"] == MoneyOption.NOTIONAL
    assert MoneyOption.DIRECT_PAYMENT in options.values()
    direct = ScheduleLine.objects.filter(
        plan=eileen_plan, kind=LineKind.PAYMENT, money_option=MoneyOption.DIRECT_PAYMENT
    )
    assert direct.filter(paid_in__status=RunStatus.CONFIRMED).exists()
    assert direct.filter(paid_in=None).exists()  # and more to come
    assert in_force.created_by.username == "alice" and in_force.decided_by.username == "priya"


def test_michael_sent_a_statement_whose_spending_is_matched_but_one_payment(eileen_plan):
    (imported,) = Statement.objects.filter(plan=eileen_plan, file_format=StatementFormat.CSV)
    assert imported.added_by.username == REPRESENTATIVE
    spending = Transaction.objects.filter(statement=imported, kind=TransactionKind.SPEND)
    assert spending.filter(item_key__isnull=False).count() >= 8  # the carers, every week
    assert spending.filter(not_in_plan=True).count() == 2  # the taxi and the garden centre
    (to_match,) = spending.filter(item_key=None, not_in_plan=False)
    assert to_match.description.startswith("CARD PAYMENT TO BOOTS")
    assert Transaction.objects.filter(statement=imported, kind=TransactionKind.PAYMENT_IN).exists()


def test_michael_typed_in_spending_with_a_real_receipt(eileen_plan):
    typed = Transaction.objects.get(
        plan=eileen_plan, statement__file_format=StatementFormat.TYPED, receipt__isnull=False
    )
    assert typed.kind == TransactionKind.SPEND and typed.added_by.username == REPRESENTATIVE
    receipt = Receipt.objects.get(pk=typed.receipt_id)
    assert receipt_type(bytes(receipt.content)) == "image/png" and receipt.file_name.endswith(".png")


def test_one_repayment_was_paid_back_by_a_second_phb_member_and_another_waits(eileen_plan):
    decided, waiting = (
        MoneyAction.objects.get(plan=eileen_plan, kind=ActionKind.RECLAIM, status=status)
        for status in (ActionStatus.AGREED, ActionStatus.PROPOSED)
    )
    assert decided.recovery == Recovery.PAID_BACK and decided.response
    assert (decided.proposed_by.username, decided.decided_by.username) == ("priya", "leo")
    assert Transaction.objects.filter(plan=eileen_plan, kind=TransactionKind.RECOVERY, amount=decided.amount).exists()
    assert waiting.proposed_by.username == "priya" and waiting.decided_by is None


def test_olivers_payments_are_held_while_he_is_in_hospital(demo):
    (hold,) = Suspension.objects.filter(plan__person=demo_person(OLIVER))
    assert hold.created_by.username == "bob" and hold.resumed_at is None and "hospital" in hold.reason


def test_running_the_demo_again_adds_no_money_records(demo, settings):
    settings.DEBUG = True
    models = (PlanVersion, PaymentRun, ScheduleLine, Statement, Transaction, Receipt, MoneyAction, Suspension)
    before = [model.objects.count() for model in models], AuditEvent.objects.count()
    call_command("seed_demo")
    assert ([model.objects.count() for model in models], AuditEvent.objects.count()) == before
