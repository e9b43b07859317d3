"""Statements and spend, through the services: importing a file (all of it or nothing, never twice), typing a
transaction in with its receipt (its type read from its content), and matching spend to the plan (learned and
applied again)."""

import dataclasses
import datetime
from decimal import Decimal

import pytest

from payments import statement_services as services
from payments.balance import TransactionKind
from payments.models import MatchHow, MatchRule, Receipt, Statement, StatementSource, Transaction
from payments.rules import LineStatus
from people.tests.factories import PortalAccessFactory, UserFactory
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent
from phb.roles import Role

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

STATEMENT = b"""Date,Description,Amount,Balance
03/04/2026,CARD PAYMENT TO ACME CARE LTD ON 03/04,-45.50,954.50
05/04/2026,LEEDS SWIM CLUB,-12.00,942.50
07/04/2026,REFUND LEEDS SWIM CLUB,12.00,954.50
"""


def csv_of(*rows: str) -> bytes:
    return ("Date,Description,Amount\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture
def plan(active):
    return active.plan


def items_of(active):
    return {item.description: item for item in active.items.all()}


def import_(plan, user, data=STATEMENT, name="statement.csv", **kwargs):
    return services.import_statement(plan=plan, data=data, file_name=name, acting_user=user, **kwargs)


# Importing


def test_it_imports_a_statement_and_says_what_each_row_is(plan, alice):
    statement = import_(plan, alice)
    assert statement.added == 3 and statement.already_seen == 0
    assert statement.covers_from == datetime.date(2026, 4, 3) and statement.covers_to == datetime.date(2026, 4, 7)
    kinds = dict(Transaction.objects.filter(plan=plan).values_list("description", "kind"))
    assert kinds["CARD PAYMENT TO ACME CARE LTD ON 03/04"] == TransactionKind.SPEND
    assert kinds["REFUND LEEDS SWIM CLUB"] == TransactionKind.REFUND
    spend = Transaction.objects.get(plan=plan, description="LEEDS SWIM CLUB")
    assert spend.amount == Decimal("12.00") and spend.payee == "LEEDS SWIM CLUB"
    assert spend.running_balance == Decimal("942.50")
    event = AuditEvent.objects.get(action=AuditAction.IMPORT_STATEMENT)
    assert event.actor == alice and event.person_id == plan.person_id and "3 new transactions" in event.summary


def test_the_same_file_twice_adds_nothing(plan, alice):
    import_(plan, alice)
    again = import_(plan, alice)
    assert again.added == 0 and again.already_seen == 3
    assert Transaction.objects.filter(plan=plan).count() == 3
    assert Statement.objects.filter(plan=plan).count() == 2  # the second is recorded as received


def test_an_overlapping_statement_adds_only_what_is_new(plan, alice):
    import_(plan, alice, csv_of("05/04/2026,LEEDS SWIM CLUB,-12.00"))
    later = import_(plan, alice, csv_of("05/04/2026,LEEDS SWIM CLUB,-12.00", "09/04/2026,TESCO,-8.10"))
    assert (later.added, later.already_seen) == (1, 1)


def test_two_identical_rows_in_one_file_are_two_transactions(plan, alice):
    statement = import_(plan, alice, csv_of("05/04/2026,COSTA COFFEE,-4.50", "05/04/2026,COSTA COFFEE,-4.50"))
    assert statement.added == 2
    assert import_(plan, alice, csv_of("05/04/2026,COSTA COFFEE,-4.50", "05/04/2026,COSTA COFFEE,-4.50")).added == 0


def test_a_half_bad_file_imports_nothing(plan, alice):
    bad = csv_of("05/04/2026,LEEDS SWIM CLUB,-12.00", "06/04/2026,TESCO,12.3x")
    with pytest.raises(ServiceError, match="Row 3"):
        import_(plan, alice, bad)
    assert not Transaction.objects.exists() and not Statement.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT_STATEMENT).exists()


@pytest.mark.parametrize(
    "row, words",
    [("05/03/2026,BEFORE THE PLAN,-1.00", "before the plan started"), ("05/04/2099,LATER,-1.00", "in the future")],
)
def test_a_date_before_the_plan_or_in_the_future_refuses_the_file(plan, alice, row, words):
    with pytest.raises(ServiceError, match=words):
        import_(plan, alice, csv_of("05/04/2026,LEEDS SWIM CLUB,-12.00", row))
    assert not Transaction.objects.exists()


def test_a_pdf_renamed_csv_is_refused_with_a_clear_message(plan, alice):
    with pytest.raises(ServiceError, match="PDF"):
        import_(plan, alice, PDF, name="statement.csv")


def test_a_file_over_the_limit_is_refused(plan, alice, settings):
    settings.PAYMENTS_MAX_UPLOAD_MB = 1
    with pytest.raises(ServiceError, match="1 MB"):
        import_(plan, alice, csv_of("05/04/2026,X,-1.00") + b" " * (1024 * 1024))
    assert not Statement.objects.exists()


def test_columns_it_cannot_tell_ask_which_is_which_and_are_remembered_for_the_source(plan, alice):
    from payments.statements import ColumnMapping

    data = b"When,What,How much\n03/04/2026,ACME CARE LTD,-45.50\n"
    with pytest.raises(services.NeedsMapping) as asked:
        import_(plan, alice, data, source_name="Jo's account", source_kind="bank")
    assert asked.value.headers == ["When", "What", "How much"] and asked.value.sample[0][1] == "ACME CARE LTD"
    assert not StatementSource.objects.exists()  # nothing is kept from a refused import
    mapping = ColumnMapping(date="When", description="What", amount="How much")
    import_(plan, alice, data, mapping=mapping, source_name="Jo's account", source_kind="bank")
    source = StatementSource.objects.get(plan=plan)
    assert source.mapping == mapping.as_dict() and source.created_by == alice
    # The next statement from the same source is read with the remembered columns.
    later = import_(plan, alice, b"When,What,How much\n04/04/2026,TESCO,-3.00\n", source=source)
    assert later.added == 1 and later.source == source


def test_money_in_is_a_payment_when_the_schedule_paid_that_amount_near_that_day(plan, alice):
    line = plan.payment_lines.filter(money_option="direct_payment", amount__gt=0).order_by("due_on").first()
    near = line.due_on + datetime.timedelta(days=services.PAYMENT_IN_WINDOW_DAYS)
    far = line.due_on + datetime.timedelta(days=services.PAYMENT_IN_WINDOW_DAYS + 1)
    assert line.status in (LineStatus.SCHEDULED, LineStatus.PAID)
    rows = [f"{near:%d/%m/%Y},NHS ICB,{line.amount}", f"{far:%d/%m/%Y},NHS ICB LATE,{line.amount}"]
    import_(plan, alice, csv_of(*rows))
    kinds = dict(Transaction.objects.values_list("description", "kind"))
    assert kinds == {"NHS ICB": TransactionKind.PAYMENT_IN, "NHS ICB LATE": TransactionKind.REFUND}


def test_statements_are_refused_to_those_who_may_not_add_them(plan, charlie, leo, maker, pat, quinn):
    for outsider in (charlie, leo, quinn):  # another team's coordinator, the PHB team without finance, a patient
        with pytest.raises(ServiceError):
            import_(plan, outsider)
    assert import_(plan, maker).added == 3  # the PHB team's finance role
    PortalAccessFactory(user=pat, person=plan.person)
    assert import_(plan, pat, csv_of("09/04/2026,TESCO,-8.10")).added == 1  # the person, online


# Typed in, with a receipt


def add(plan, user, **kwargs):
    values = {
        "on": datetime.date(2026, 4, 10),
        "amount": Decimal("18.50"),
        "kind": TransactionKind.SPEND,
        "description": "Leeds Swim Club",
    }
    return services.add_by_hand(plan=plan, acting_user=user, **{**values, **kwargs})


def test_a_transaction_typed_in_is_a_statement_of_its_own_with_its_receipt(plan, alice):
    added = add(plan, alice, receipt=("till receipt.pdf", PDF))
    assert (
        added.statement.file_format == "typed" and added.statement.covers_from == added.on == added.statement.covers_to
    )
    receipt = added.receipt
    assert receipt.content_type == "application/pdf" and bytes(receipt.content) == PDF and receipt.size == len(PDF)
    assert receipt.file_name == "till receipt.pdf"
    assert AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(added.pk)).person_id == plan.person_id


def test_a_png_named_pdf_is_kept_as_a_png(plan, alice):
    receipt = add(plan, alice, receipt=("receipt.pdf", PNG)).receipt
    assert receipt.content_type == "image/png" and receipt.file_name == "receipt.png"
    assert add(plan, alice, receipt=("photo", JPEG)).receipt.content_type == "image/jpeg"


@pytest.mark.parametrize(
    "name, content, words",
    [
        ("receipt.png", b"just some text, not a picture", "PDF, JPEG or PNG"),
        ("receipt.gif", b"GIF89a" + b"\x00" * 20, "PDF, JPEG or PNG"),
        ("receipt.pdf", b"", "empty"),
    ],
)
def test_a_receipt_that_is_not_a_pdf_jpeg_or_png_is_refused_and_nothing_is_added(plan, alice, name, content, words):
    with pytest.raises(ServiceError, match=words):
        add(plan, alice, receipt=(name, content))
    assert not Transaction.objects.exists() and not Receipt.objects.exists() and not Statement.objects.exists()


def test_a_receipt_over_the_limit_is_refused(plan, alice, settings):
    settings.PAYMENTS_MAX_UPLOAD_MB = 1
    with pytest.raises(ServiceError, match="1 MB or smaller"):
        add(plan, alice, receipt=("big.png", PNG + b"\x00" * (1024 * 1024)))
    assert not Receipt.objects.exists()


def test_a_receipts_name_cannot_carry_a_path(plan, alice):
    receipt = add(plan, alice, receipt=("../../etc/pass\x00wd\r\n.png", PNG)).receipt
    assert "/" not in receipt.file_name and "\n" not in receipt.file_name and receipt.file_name.endswith(".png")


@pytest.mark.parametrize(
    "change, words",
    [
        ({"on": datetime.date(2026, 3, 31)}, "on or after 1 April 2026"),
        ({"on": datetime.date(2099, 1, 1)}, "today or in the past"),
        ({"amount": Decimal("0")}, "more than £0"),
        ({"amount": Decimal("1.234")}, "pounds and pence"),
        ({"description": "   "}, "what the money was for"),
        ({"kind": "gift"}, "Select whether"),
    ],
)
def test_a_typed_transaction_is_checked(plan, alice, change, words):
    with pytest.raises(ServiceError, match=words):
        add(plan, alice, **change)
    assert not Transaction.objects.exists()


# Matching


def test_a_match_by_hand_is_learned_and_applied_to_the_same_payee(plan, active, alice):
    import_(
        plan,
        alice,
        csv_of("03/04/2026,CARD PAYMENT TO ACME CARE LTD ON 03/04,-45.50", "10/04/2026,ACME CARE LTD,-45.50"),
    )
    assistant = items_of(active)["Personal assistant"]
    first = Transaction.objects.get(on=datetime.date(2026, 4, 3))
    also = services.match(transaction=first, item_key=str(assistant.key), not_in_plan=False, acting_user=alice)
    assert also == 1
    first.refresh_from_db()
    assert first.item_key == assistant.key and first.matched_how == MatchHow.PERSON and first.matched_by == alice
    other = Transaction.objects.get(on=datetime.date(2026, 4, 10))
    assert other.item_key == assistant.key and other.matched_how == MatchHow.RULE
    assert MatchRule.objects.get(plan=plan).payee == "ACME CARE LTD"
    event = AuditEvent.objects.get(action=AuditAction.MATCH_SPEND)
    assert "Personal assistant" in event.summary and "1 more transaction" in event.summary


def test_a_learned_match_is_applied_to_the_next_statement(plan, active, alice):
    import_(plan, alice, csv_of("03/04/2026,ACME CARE LTD,-45.50"))
    assistant = items_of(active)["Personal assistant"]
    services.match(
        transaction=Transaction.objects.get(), item_key=str(assistant.key), not_in_plan=False, acting_user=alice
    )
    import_(plan, alice, csv_of("17/04/2026,CARD PAYMENT TO ACME CARE LTD ON 17/04,-45.50", "18/04/2026,TESCO,-2.00"))
    matched = Transaction.objects.get(on=datetime.date(2026, 4, 17))
    assert matched.item_key == assistant.key and matched.matched_how == MatchHow.RULE
    assert Transaction.objects.get(description="TESCO").item_key is None


def test_spend_marked_not_in_the_plan_learns_nothing(plan, alice):
    import_(plan, alice, csv_of("03/04/2026,BETTING SHOP,-20.00", "04/04/2026,BETTING SHOP,-20.00"))
    first = Transaction.objects.get(on=datetime.date(2026, 4, 3))
    assert services.match(transaction=first, item_key=None, not_in_plan=True, acting_user=alice) == 0
    first.refresh_from_db()
    assert first.not_in_plan and first.item_key is None
    assert not MatchRule.objects.exists()
    assert not Transaction.objects.get(on=datetime.date(2026, 4, 4)).not_in_plan
    assert "not in the plan" in AuditEvent.objects.get(action=AuditAction.MATCH_SPEND).summary


def test_a_match_must_be_an_item_of_the_plan_in_force_and_one_way_only(plan, active, alice, charlie):
    import_(plan, alice, csv_of("03/04/2026,ACME CARE LTD,-45.50", "04/04/2026,NHS,1.00"))
    spend = Transaction.objects.get(kind=TransactionKind.SPEND)
    key = str(items_of(active)["Personal assistant"].key)
    for item_key, not_in_plan, words in [
        (None, False, "Select the item"),
        (key, True, "Select the item"),
        ("00000000-0000-0000-0000-000000000000", False, "items in the plan in force"),
    ]:
        with pytest.raises(ServiceError, match=words):
            services.match(transaction=spend, item_key=item_key, not_in_plan=not_in_plan, acting_user=alice)
    with pytest.raises(ServiceError):
        services.match(transaction=spend, item_key=key, not_in_plan=False, acting_user=charlie)
    money_in = Transaction.objects.exclude(kind=TransactionKind.SPEND).get()
    if money_in.kind == TransactionKind.PAYMENT_IN:
        with pytest.raises(ServiceError, match="Only spending and refunds"):
            services.match(transaction=money_in, item_key=key, not_in_plan=False, acting_user=alice)
    assert not AuditEvent.objects.filter(action=AuditAction.MATCH_SPEND).exists()


def test_a_portal_user_without_access_now_is_refused(plan):
    gone = UserFactory(role=Role.PATIENT)
    access = PortalAccessFactory(user=gone, person=plan.person)
    access.revoked_at = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)
    access.save()
    with pytest.raises(ServiceError):
        add(plan, gone)


# Spend typed in by hand, then seen on a statement


def test_spend_typed_in_by_hand_and_then_on_a_statement_counts_once_and_keeps_its_receipt(plan, active, alice):
    typed = add(plan, alice, description="Swimming at Leeds Swim Club", receipt=("till receipt.pdf", PDF))
    assistant = items_of(active)["Personal assistant"]
    services.match(transaction=typed, item_key=str(assistant.key), not_in_plan=False, acting_user=alice)
    # The bank took it 2 days after the day it was typed in for.
    file = csv_of("12/04/2026,CARD PAYMENT TO LEEDS SWIM CLUB ON 10/04,-18.50", "13/04/2026,TESCO,-8.10")
    statement = import_(plan, alice, file)
    assert (statement.added, statement.already_seen, statement.typed_by_hand) == (1, 1, 1)
    assert sorted(Transaction.objects.filter(plan=plan).values_list("amount", flat=True)) == [
        Decimal("8.10"),
        Decimal("18.50"),
    ]
    typed.refresh_from_db()
    assert typed.receipt is not None and bytes(typed.receipt.content) == PDF  # the receipt is kept
    assert typed.on == datetime.date(2026, 4, 10) and typed.description == "Swimming at Leeds Swim Club"
    assert typed.item_key == assistant.key  # and so is its match
    event = AuditEvent.objects.get(action=AuditAction.IMPORT_STATEMENT)
    assert "1 new transaction, 1 already typed in by hand, 0 seen before" in event.summary
    linked = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(typed.pk))
    assert "12 April 2026" in linked.summary and linked.person_id == plan.person_id
    again = import_(plan, alice, file)  # the row is now known as the typed-in spend: never added
    assert (again.added, again.already_seen, again.typed_by_hand) == (0, 2, 0)
    assert Transaction.objects.filter(plan=plan).count() == 2


def test_a_different_spend_of_the_same_amount_on_another_day_is_still_added(plan, alice):
    typed = add(plan, alice, description="Leeds Swim Club")  # £18.50 on 10 April
    later = import_(plan, alice, csv_of("24/04/2026,LEEDS SWIM CLUB,-18.50"))  # 14 days later: another swim
    assert (later.added, later.typed_by_hand) == (1, 0)
    assert Transaction.objects.filter(plan=plan, amount=Decimal("18.50")).count() == 2
    typed.refresh_from_db()
    assert typed.fingerprint.startswith("typed-")  # still waiting for its own row
    found = import_(plan, alice, csv_of("11/04/2026,LEEDS SWIM CLUB,-18.50"))
    assert (found.added, found.typed_by_hand) == (0, 1)


@pytest.mark.parametrize(
    "row",
    [
        "10/04/2026,TESCO STORES,-18.50",  # the same day and amount, another payee
        "10/04/2026,LEEDS SWIM CLUB,-18.51",  # another amount
        "10/04/2026,LEEDS SWIM CLUB,18.50",  # money in, not spend
        "16/04/2026,LEEDS SWIM CLUB,-18.50",  # 6 days later
    ],
)
def test_a_row_that_is_not_the_typed_in_spend_is_added(plan, alice, row):
    add(plan, alice, description="Leeds Swim Club")
    statement = import_(plan, alice, csv_of(row))
    assert (statement.added, statement.typed_by_hand) == (1, 0)
    assert Transaction.objects.filter(plan=plan).count() == 2


def test_one_spend_typed_in_stands_for_one_row_the_nearest_in_date(plan, alice):
    typed = add(plan, alice, description="Leeds Swim Club")  # 10 April
    statement = import_(plan, alice, csv_of("07/04/2026,LEEDS SWIM CLUB,-18.50", "11/04/2026,LEEDS SWIM CLUB,-18.50"))
    assert (statement.added, statement.typed_by_hand) == (1, 1)
    assert Transaction.objects.get(plan=plan, statement=statement).on == datetime.date(2026, 4, 7)
    typed.refresh_from_db()
    assert not typed.fingerprint.startswith("typed-")


def test_a_refund_typed_in_by_hand_is_found_on_the_statement_too(plan, alice):
    add(plan, alice, kind=TransactionKind.REFUND, description="Refund from Leeds Swim Club")
    statement = import_(plan, alice, csv_of("09/04/2026,REFUND LEEDS SWIM CLUB,18.50"))
    assert (statement.added, statement.typed_by_hand) == (0, 1)


# Written with COPY on PostgreSQL: exactly what bulk_create wrote

# Every kind of row: spend a learned match matches, spend to match, a refund, the ICB's payment in (added by the
# test), a row typed in by hand first, two identical rows, a bank id or none, a balance or none, and words with
# quotes, commas, a backslash and letters outside ASCII.
COPIED = """Date,Description,Amount,Balance,Transaction ID
03/04/2026,CARD PAYMENT TO ACME CARE LTD ON 03/04,-45.50,954.50,
04/04/2026,"LEEDS SWIM CLUB, ""LANES"" \\ POOL",-12.00,942.50,TX-0001
05/04/2026,"Café Nero – coffee",-4.50,,
05/04/2026,"Café Nero – coffee",-4.50,,
07/04/2026,REFUND LEEDS SWIM CLUB,12.00,954.50,TX-0002
12/04/2026,CARD PAYMENT TO LEEDS SWIM CLUB ON 10/04,-18.50,936.00,
13/04/2026,DD ACME CARE LTD REF 99812,-45.50,,
"""


def _same_plan_again(active, alice, priya):
    from careplans.tests.factories import approved_plan
    from people.tests.factories import PersonFactory

    person = PersonFactory(care_team=active.plan.person.care_team, lead_coordinator=alice)
    return approved_plan(person=person, coordinator=alice, approver=priya).plan


def _ready(plan, alice):
    """A plan as a coordinator leaves it: ACME CARE LTD learned as the personal assistant, spend typed in."""
    import_(plan, alice, csv_of("01/04/2026,ACME CARE LTD,-45.50"))
    assistant = next(item for item in services.items_in_force(plan) if item.description == "Personal assistant")
    services.match(
        transaction=Transaction.objects.get(plan=plan),
        item_key=str(assistant.key),
        not_in_plan=False,
        acting_user=alice,
    )
    add(plan, alice, description="Swimming at Leeds Swim Club")  # £18.50 on 10 April: the row of 12 April


def _import_and_read(plan, alice, data):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        statement = import_(plan, alice, data)
    inserts = [query["sql"] for query in queries if query["sql"].startswith('INSERT INTO "payments_transaction"')]
    stored = {
        row["fingerprint"]: row
        for row in Transaction.objects.filter(statement=statement).values()  # every field, as stored
    }
    event = AuditEvent.objects.get(action=AuditAction.IMPORT_STATEMENT, object_id=str(statement.pk))
    return before, statement, inserts, stored, event


def test_a_statement_written_with_copy_stores_exactly_what_bulk_create_stored(active, alice, priya, monkeypatch):
    line = active.plan.payment_lines.filter(money_option="direct_payment", amount__gt=0).order_by("due_on").first()
    data = (COPIED + f"{line.due_on:%d/%m/%Y},BGC NHS ICB,{line.amount},,\n").encode()
    by_copy, by_model = active.plan, _same_plan_again(active, alice, priya)
    for plan in (by_copy, by_model):
        _ready(plan, alice)

    before, copied, copy_inserts, stored, copy_event = _import_and_read(by_copy, alice, data)
    monkeypatch.setattr(services, "copy_columns", lambda: None)  # as on a database without COPY
    _, modelled, model_inserts, expected, model_event = _import_and_read(by_model, alice, data)

    assert not copy_inserts and len(model_inserts) == 1  # the first by COPY, the second by bulk_create's INSERT
    assert (copied.added, copied.already_seen, copied.typed_by_hand) == (7, 1, 1)
    assert (copied.added, copied.already_seen, copied.typed_by_hand) == (
        modelled.added,
        modelled.already_seen,
        modelled.typed_by_hand,
    )
    assert copy_event.summary == model_event.summary
    assert "7 new transactions, 1 already typed in by hand, 0 seen before, 2 matched" in copy_event.summary
    assert stored.keys() == expected.keys()
    own = {"id", "plan_id", "statement_id", "item_key", "matched_at", "added_at"}  # the import's own: below
    items = {
        plan: {item.key: item.description for item in services.items_in_force(plan)} for plan in (by_copy, by_model)
    }
    for fingerprint, row in stored.items():
        assert {k: v for k, v in row.items() if k not in own} == {
            k: v for k, v in expected[fingerprint].items() if k not in own
        }
        assert row["plan_id"] == by_copy.pk and row["statement_id"] == copied.pk
        assert items[by_copy].get(row["item_key"]) == items[by_model].get(expected[fingerprint]["item_key"])
        assert (row["matched_at"] is None) == (expected[fingerprint]["matched_at"] is None)
    kinds = {row["description"]: (row["kind"], row["payee"]) for row in stored.values()}
    assert kinds['LEEDS SWIM CLUB, "LANES" \\ POOL'] == (TransactionKind.SPEND, "LEEDS SWIM CLUB LANES POOL")
    assert kinds["Café Nero – coffee"] == (TransactionKind.SPEND, "CAFÉ NERO COFFEE")
    assert kinds["BGC NHS ICB"][0] == TransactionKind.PAYMENT_IN
    matched = [row for row in stored.values() if row["item_key"] is not None]
    assert len(matched) == 2 and {row["matched_at"] for row in matched} == {matched[0]["matched_at"]}
    assert all(row["matched_by_id"] == alice.pk and row["matched_how"] == MatchHow.RULE for row in matched)
    # Each row is added at the time it was written, in the file's order, after the import began.
    in_order = sorted(stored.values(), key=lambda row: row["added_at"])
    assert before <= matched[0]["matched_at"] <= in_order[0]["added_at"]
    assert len({row["added_at"] for row in in_order}) == len(in_order)
    assert [row["description"] for row in in_order] == [
        "CARD PAYMENT TO ACME CARE LTD ON 03/04",
        'LEEDS SWIM CLUB, "LANES" \\ POOL',
        "Café Nero – coffee",
        "Café Nero – coffee",
        "REFUND LEEDS SWIM CLUB",
        "DD ACME CARE LTD REF 99812",  # the row before is the spend typed in by hand: not added
        "BGC NHS ICB",
    ]


def test_copy_writes_every_field_of_a_transaction():
    from payments.models import Transaction as Model

    columns = services.copy_columns()
    assert columns is not None
    assert sorted(columns) == sorted(field.column for field in Model._meta.concrete_fields)


def test_the_database_still_refuses_a_transaction_written_with_copy_that_breaks_its_rules(plan, alice):
    from django.db import IntegrityError
    from django.db import transaction as db_transaction
    from django.utils import timezone

    import_(plan, alice, csv_of("05/04/2026,LEEDS SWIM CLUB,-12.00"))
    seen = Transaction.objects.get(plan=plan)
    statement = Statement.objects.get(plan=plan)
    row = services._NewTransaction(
        on=seen.on,
        amount=Decimal("3.00"),
        kind=TransactionKind.SPEND,
        description="TESCO",
        payee="TESCO",
        bank_id="",
        running_balance=None,
        fingerprint="new",
        item_key=None,
    )
    for wrong in ({"fingerprint": seen.fingerprint}, {"amount": Decimal("0.00")}):
        with pytest.raises(IntegrityError), db_transaction.atomic():
            services._add_transactions(
                [dataclasses.replace(row, **wrong)],
                plan=plan,
                statement=statement,
                acting_user=alice,
                matched_at=timezone.now(),
            )
    assert Transaction.objects.filter(plan=plan).count() == 1
