"""Demo data for payments: the PHB team's demo members handle payments, so a newcomer can make a payment run as
one (priya) and confirm it as the other (leo); a run confirmed four weeks ago and one waiting for leo show both.
Schedules need nothing here: each demo plan that became active got its own through the services.

The money in use is shown on Eileen's plan (her son Michael sees it online as her representative): after her
review Michael chose to take her personal care as a direct payment, so a third version of her plan, agreed a
month ago, pays it into his account (the community transport stays arranged by the NHS). Then: a bank statement
imported with its spending matched to her plan but one payment still to match, a receipt Michael typed in, a
repayment agreed (paid back) and another waiting for a decision, and, on Oliver's plan, payments held while he
is in hospital. Everything goes through the services, as the demo users, and running it again adds nothing.
"""

import datetime
import struct
import zlib
from decimal import Decimal
from fractions import Fraction

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from careplans import approval
from careplans import services as plan_services
from careplans.models import DirectPaymentRecipient, PlanVersion, Status, SupportPlan
from careplans.rules import Frequency, MoneyOption, PaymentFrequency, item_annual_exact, payment_for
from payments import holds, reclaims, services, statement_services
from payments.balance import TransactionKind
from payments.models import MoneyAction, PaymentRun, Recovery, ScheduleLine, Suspension, Transaction
from payments.rules import LineKind
from people.demo import demo_person
from phb.errors import ServiceError

FINANCE_GROUP = "Finance"
HANDLE_PAYMENTS = ("priya", "leo")

EILEEN, OLIVER = 4, 17  # serials in people/demo.py
DIRECT_FROM_DAYS_AGO = 29  # the direct payment's first day: a day after her second version started
NOT_DIRECT = "Community transport"  # her one item the NHS still arranges (a notional budget)
RECIPIENT = "Michael Walsh"
CARER = "CARD PAYMENT TO HELPING HANDS HOME CARE"
EVENINGS = "DD EVENING CARE LEEDS"
NOT_YET_MATCHED = "CARD PAYMENT TO BOOTS 1123"
TAXI = "AMBER CARS LEEDS"
GARDEN = "CARD PAYMENT TO WOODHOUSE GARDEN CENTRE"
SHOWER_CHAIR = "Shower chair from the mobility shop"


def seed(users: dict) -> None:
    """users: the demo users by username (people.demo.seed), with the portal's "representative" (Michael) when
    the portal's demo has run first (portal.demo.seed)."""
    group, _ = Group.objects.get_or_create(name=FINANCE_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="payments", codename="run_payments"))
    for username in HANDLE_PAYMENTS:
        users[username].groups.add(group)
    maker, checker = (type(users[name]).objects.get(pk=users[name].pk) for name in HANDLE_PAYMENTS)
    eileen_plan = _direct_payment(users)  # first, so the runs below pay her direct payment
    if not PaymentRun.objects.exists():
        today = timezone.localdate()
        try:
            earlier = services.run_create(due_by=today - datetime.timedelta(days=28), acting_user=maker)
            services.run_confirm(run=earlier, acting_user=checker)
            services.run_create(due_by=today, acting_user=maker)  # waiting for leo
        except ServiceError:  # nothing due: the demo's plans started too late for a run
            pass
    if eileen_plan is not None:
        _money_in_use(eileen_plan, users, maker, checker)
    _hold(users)


# Eileen's direct payment -----------------------------------------------------------------------------------------


def _direct_payment(users: dict) -> SupportPlan | None:
    """Eileen's plan with her personal care paid as a direct payment to Michael, from DIRECT_FROM_DAYS_AGO: a new
    version, written by Alice and approved by Priya. Returns the plan (None when her plan is not active)."""
    eileen = demo_person(EILEEN)
    plan = SupportPlan.objects.filter(person=eileen).select_related("person").first()
    if plan is None:
        return None
    if PlanVersion.objects.filter(plan=plan, dp_recipient=DirectPaymentRecipient.REPRESENTATIVE).exists():
        return plan
    if not PlanVersion.objects.filter(plan=plan, status=Status.ACTIVE).exists():
        return None
    alice, priya = users["alice"], users["priya"]
    start = timezone.localdate() - datetime.timedelta(days=DIRECT_FROM_DAYS_AGO)
    draft = plan_services.plan_amend(plan=plan, acting_user=alice)
    direct = Fraction(0)
    for item in draft.items.order_by("created_at", "id"):
        if item.description.startswith(NOT_DIRECT) or item.frequency == Frequency.ONE_OFF:
            continue
        draft.refresh_from_db()
        plan_services.item_save(
            version=draft,
            expected_revision=draft.revision,
            outcomes=list(item.outcomes.all()),
            acting_user=alice,
            item=item,
            description=item.description,
            provider=item.provider,
            category=item.category,
            unit_cost=item.unit_cost,
            quantity=item.quantity,
            frequency=item.frequency,
            money_option=MoneyOption.DIRECT_PAYMENT,
            third_party_organisation="",
        )
        direct += item_annual_exact(item.unit_cost, item.quantity, Frequency(item.frequency))
    draft.refresh_from_db()
    draft = plan_services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=start,
        agreed_on=start - datetime.timedelta(days=7),
        agreement_method="representative",
        agreement_witness=f"{RECIPIENT} (son)",
        dp_recipient=DirectPaymentRecipient.REPRESENTATIVE,
        dp_recipient_name=RECIPIENT,
        dp_amount=payment_for(direct, PaymentFrequency.FOUR_WEEKLY),
        dp_frequency=PaymentFrequency.FOUR_WEEKLY,
    )
    draft = plan_services.plan_submit(version=draft, acting_user=alice)
    approval.plan_approve(
        version=draft,
        financially_appropriate=True,
        clinically_appropriate=True,
        conditions="Michael sends a bank statement every 4 weeks and keeps the receipts.",
        acting_user=priya,
    )
    return plan


# The money in use on Eileen's plan -------------------------------------------------------------------------------


def _money_in_use(plan: SupportPlan, users: dict, maker, checker) -> None:
    """A statement with its spending matched (all but one payment), a receipt typed in, a repayment decided and
    one waiting. Once: a plan with a statement already has them."""
    if Transaction.objects.filter(plan=plan).exists():
        return
    alice = users["alice"]
    michael = users.get("representative") or alice  # Michael when the portal's demo has run first
    today = timezone.localdate()
    items = {item.description: item for item in statement_services.items_in_force(plan)}
    mornings = next(item for name, item in items.items() if name.startswith("Personal assistant"))
    evenings = next(item for name, item in items.items() if name.startswith("Evening visits"))

    statement = statement_services.import_statement(
        plan=plan,
        data=_statement_csv(plan, today),
        file_name="walsh-current-account.csv",
        acting_user=michael,
        source_name="Michael's direct payment account",
        source_kind="bank",
    )
    # Matching one payment to a payee matches the payee's others too (a learned rule); Boots is left to match.
    for prefix, item in ((CARER, mornings), (EVENINGS, evenings), (TAXI, None), (GARDEN, None)):
        while tx := statement.transactions.filter(
            description__startswith=prefix, item_key__isnull=True, not_in_plan=False
        ).first():
            statement_services.match(
                transaction=tx, item_key=str(item.key) if item else None, not_in_plan=item is None, acting_user=alice
            )

    statement_services.add_by_hand(
        plan=plan,
        on=today - datetime.timedelta(days=3),
        amount=Decimal("45.00"),
        kind=TransactionKind.SPEND,
        description=SHOWER_CHAIR,
        acting_user=michael,
        receipt=("shower-chair-receipt.png", receipt_png()),
    )

    periods = reclaims.payment_periods(plan, on=today)
    if not periods:
        return
    from_period = periods[0][0]
    if not MoneyAction.objects.filter(plan=plan).exists():
        taxi = reclaims.propose_reclaim(
            plan=plan,
            amount=Decimal("38.50"),
            reasons="£38.50 was paid to Amber Cars for a taxi to a family party. The plan does not include taxis: "
            "the community transport in Eileen's plan takes her out.",
            from_period=from_period,
            acting_user=maker,
        )
        reclaims.record_response(
            action=taxi,
            response="Michael agrees and has paid the £38.50 back. He will use the community transport in future.",
            response_on=today,
            acting_user=alice,
        )
        reclaims.decide(
            action=taxi,
            agree=True,
            decision_reasons="Michael agrees the taxi was not in the plan and has paid it back.",
            recovery=Recovery.PAID_BACK,
            acting_user=checker,
        )
        reclaims.propose_reclaim(
            plan=plan,
            amount=Decimal("120.00"),
            reasons="£120.00 was paid to Woodhouse Garden Centre, which is not in the plan. Tell us what it was for, "
            "and whether it helped with one of Eileen's outcomes.",
            from_period=periods[-1][0],
            acting_user=maker,
        )


def _statement_csv(plan: SupportPlan, today: datetime.date) -> bytes:
    """Four weeks of Michael's account as his bank exports it: the ICB's payment in (the direct payment paid in
    the confirmed run, or the one due), the carers paid each week, and one card payment at Boots."""
    lines = ScheduleLine.objects.filter(plan=plan, kind=LineKind.PAYMENT, money_option=MoneyOption.DIRECT_PAYMENT)
    paid = (
        (lines.filter(paid_in__isnull=False) or lines.filter(due_on__lte=today))
        .order_by("due_on")
        .values_list("due_on", "amount")
        .first()
    )
    first = today - datetime.timedelta(days=DIRECT_FROM_DAYS_AGO - 1)
    rows = [("Date", "Description", "Amount")]
    if paid:
        rows.append((max(paid[0], first).isoformat(), "NHS WEST YORKSHIRE ICB DIRECT PAYMENT", f"{paid[1]:.2f}"))
    for week in range(4):
        day = first + datetime.timedelta(days=7 * week + 1)
        rows.append((day.isoformat(), f"{CARER} REF {week + 101}", "-108.50"))
        rows.append(((day + datetime.timedelta(days=2)).isoformat(), EVENINGS, "-48.00"))
    rows.append(((first + datetime.timedelta(days=10)).isoformat(), TAXI, "-38.50"))
    rows.append(((first + datetime.timedelta(days=17)).isoformat(), GARDEN, "-120.00"))
    rows.append(((today - datetime.timedelta(days=5)).isoformat(), NOT_YET_MATCHED, "-12.99"))
    return ("\r\n".join(",".join(row) for row in rows) + "\r\n").encode()


def receipt_png() -> bytes:
    """A small real PNG (a grey 40 × 60 slip with a darker line, like a till receipt), made here so the demo has
    no binary file to keep."""
    width, height = 40, 60
    rows = b"".join(
        b"\x00" + bytes([90 if y % 8 == 4 and 4 < x < 36 else 235 for x in range(width)]) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# A hold on another plan ------------------------------------------------------------------------------------------


def _hold(users: dict) -> None:
    """Oliver goes into hospital for a planned operation next week: Bob holds his payments for two weeks."""
    plan = SupportPlan.objects.filter(person=demo_person(OLIVER)).select_related("person").first()
    if plan is None or Suspension.objects.filter(plan=plan).exists():
        return
    today = timezone.localdate()
    holds.hold_payments(
        plan=plan,
        starts_on=today + datetime.timedelta(days=7),
        ends_on=today + datetime.timedelta(days=21),
        reason="In hospital for a planned hip operation; the agency does not visit while he is there.",
        acting_user=users["bob"],
    )
