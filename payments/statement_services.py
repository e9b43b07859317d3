"""Statements and spend: every write, each in one transaction and recorded in the audit trail.

- import_statement: a CSV or OFX file from the bank, managed-account provider or prepaid card, read by
  payments.statements (pure). The whole file is one transaction: a row that cannot be read, or a date before
  the plan started or in the future, refuses the file and nothing is added.
- add_by_hand: one transaction typed in, with a receipt if there is one (PDF, JPEG or PNG, its type read from
  its content). When the same money later comes on an imported statement it is known again and not added twice
  (import_statement says how).
- match: spend matched by hand to an item of the plan in force, or marked as not in the plan. A match to an
  item is learned (payee -> item, payments.matching) and applied to the plan's other spend still to match
  from the same payee, and to later statements.

Who may do any of it is payments.statement_access.statement_refusal, asked again here.
"""

import datetime
import hashlib
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Min, Subquery
from django.utils import timezone

from careplans.models import PlanVersion, Status, SupportItem, SupportPlan
from careplans.rules import MoneyOption
from payments import flagging, matching, statements
from payments.balance import TransactionKind
from payments.models import (
    TRANSACTION_KIND_LABELS,
    MatchHow,
    MatchRule,
    Receipt,
    ScheduleLine,
    SourceKind,
    Statement,
    StatementFormat,
    StatementSource,
    Transaction,
)
from payments.rules import LineStatus
from payments.statement_access import statement_refusal
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import MAX_AMOUNT, pounds, round_pounds
from phb.words import long_date

# A row of an imported statement is the money typed in by hand (so it is not added again) when its date is within
# this many days either side of the day typed in: a card payment reaches the account a few working days later.
TYPED_WINDOW_DAYS = 5
TYPED_PREFIX = "typed-"  # the fingerprint of a transaction typed in, until it is found on a statement

# A payment in from the ICB is recognised when a scheduled or paid payment of the same amount was due this many
# days either side of the day it reached the account (banks take a few working days; a run may pay early).
PAYMENT_IN_WINDOW_DAYS = 7

RECEIPT_TYPES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
RECEIPT_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
NAME_LENGTH = 255


def max_upload_bytes() -> int:
    return settings.PAYMENTS_MAX_UPLOAD_MB * 1024 * 1024


def too_big_message(what: str) -> str:
    return f"The {what} must be {settings.PAYMENTS_MAX_UPLOAD_MB} MB or smaller. Choose a smaller file."


class NeedsMapping(ServiceError):
    """A CSV file whose columns we cannot tell apart (no remembered mapping fits and no guess): the page asks
    which column is which. headers: the file's column names; sample: its first rows, as text."""

    def __init__(self, headers: list[str], sample: list[list[str]], problems: list[str] | None = None):
        self.headers = headers
        self.sample = sample
        self.problems = problems or []
        super().__init__("Tell us which column of the file holds the date, the description and the amount.")


# Reading what the plan allows ------------------------------------------------------------------------------------


def _refuse_unless_allowed(user, plan) -> None:
    refusal = statement_refusal(user, plan)
    if refusal:
        raise ServiceError(refusal)


def plan_started_on(plan) -> datetime.date | None:
    """The start date of the plan's first agreed version: no spending from the budget can be earlier."""
    return PlanVersion.objects.filter(plan=plan, status__in=Status.AGREED).aggregate(first=Min("start_date"))["first"]


def _not_before(plan) -> datetime.date:
    started = plan_started_on(plan)
    if started is None:
        raise ServiceError("This plan has not been agreed yet, so there is no spending to add.")
    return started


def items_in_force(plan, *, on: datetime.date | None = None) -> list[SupportItem]:
    """The items of the plan's version in force (what spending may be matched to), in the plan's order: one
    query (the version in force, PlanVersionQuerySet.in_force_for, as a subquery)."""
    in_force = (
        PlanVersion.objects.filter(plan=plan).in_force(on=on or timezone.localdate()).order_by("-number").values("pk")
    )
    return list(SupportItem.objects.filter(plan_version=Subquery(in_force[:1])).order_by("created_at", "id"))


def item_label(item: SupportItem) -> str:
    return f"{item.description} ({item.provider})" if item.provider else item.description


def _locked_plan(plan) -> SupportPlan:
    """The plan under its row lock: two imports into one plan happen one after the other, so each sees what the
    other added (and neither adds a transaction twice)."""
    return SupportPlan.objects.select_for_update().select_related("person").get(pk=plan.pk)


# Statements ------------------------------------------------------------------------------------------------------


def _sources_mapping(source: StatementSource | None):
    if source is None or not source.mapping:
        return None
    try:
        return statements.ColumnMapping.from_dict(source.mapping)
    except (TypeError, ValueError, KeyError):
        return None  # a mapping saved by an older version of the reader: asked again


def mapping_for(data: bytes, file_name: str, source: StatementSource | None = None):
    """The column mapping to read a CSV file with: the one remembered for its source when it fits the file's
    columns, otherwise a guess from the column names. None for an OFX file. Raises NeedsMapping when neither
    fits, and ServiceError when the file cannot be read at all."""
    try:
        if statements.sniff_format(data, file_name) != "csv":
            return None
        table = statements.read_rows(data)
    except statements.StatementError as error:
        raise ServiceError(str(error)) from None
    return _mapping_for_table(table, source)


def _mapping_for_table(table: statements.Table, source: StatementSource | None):
    """mapping_for a CSV file already read (statements.read_rows)."""
    headers = table.headers
    remembered = _sources_mapping(source)
    if remembered is not None and not remembered.problems(headers):
        return remembered
    guessed = statements.guess_mapping(headers)
    if guessed is not None and not guessed.problems(headers):
        return guessed
    raise NeedsMapping(list(headers), [[str(cell) for cell in cells] for _, cells in table.rows[:5]])


def _payments_in(plan, rows) -> list[tuple[datetime.date, Decimal]]:
    """(due on, amount) of the plan's payments into an account, scheduled or paid, around the file's dates."""
    money_in = [row for row in rows if row.amount > 0]
    if not money_in:
        return []
    window = datetime.timedelta(days=PAYMENT_IN_WINDOW_DAYS)
    first, last = min(row.on for row in money_in), max(row.on for row in money_in)
    return list(
        ScheduleLine.objects.filter(
            plan=plan,
            status__in=[LineStatus.SCHEDULED, LineStatus.PAID],
            money_option__in=[MoneyOption.DIRECT_PAYMENT, MoneyOption.THIRD_PARTY],
            amount__gt=0,
            due_on__gte=first - window,
            due_on__lte=last + window,
        ).values_list("due_on", "amount")
    )


def classify(row, payments_in: Iterable[tuple[datetime.date, Decimal]]) -> TransactionKind:
    """What a statement's row is. Money out (a negative amount) is spend. Money in is a payment from the ICB when
    a scheduled or paid payment into the account of exactly that amount was due within PAYMENT_IN_WINDOW_DAYS
    (7) days before or after the day it arrived; any other money in is a refund."""
    if row.amount < 0:
        return TransactionKind.SPEND
    window = datetime.timedelta(days=PAYMENT_IN_WINDOW_DAYS)
    for due_on, amount in payments_in:
        if amount == row.amount and abs(due_on - row.on) <= window:
            return TransactionKind.PAYMENT_IN
    return TransactionKind.REFUND


def _rules_for(plan, item_keys: set[str]) -> dict[str, str]:
    """The plan's learned matches (payee key -> item key) to items of the version in force."""
    return {
        payee: str(key)
        for payee, key in MatchRule.objects.filter(plan=plan).values_list("payee", "item_key")
        if str(key) in item_keys
    }


@dataclass
class _Resolved:
    source: StatementSource | None
    created: bool


def _resolve_source(plan, source, source_name: str, source_kind: str, acting_user) -> _Resolved:
    if source is not None:
        if source.plan_id != plan.pk:
            raise ServiceError("Choose an account or card of this plan.")
        return _Resolved(source, False)
    name = " ".join((source_name or "").split())[:100]
    if not name:
        return _Resolved(None, False)
    if source_kind not in SourceKind.values:
        raise ServiceError("Select what kind of account the statement is from.")
    found = StatementSource.objects.filter(plan=plan, name__iexact=name).first()
    if found is not None:
        return _Resolved(found, False)
    made = StatementSource(plan=plan, name=name, kind=source_kind, created_by=acting_user)
    made.full_clean()
    made.save()
    return _Resolved(made, True)


@db_transaction.atomic
def import_statement(
    *,
    plan,
    data: bytes,
    file_name: str,
    acting_user,
    source: StatementSource | None = None,
    mapping=None,
    received_on: datetime.date | None = None,
    source_name: str = "",
    source_kind: str = "",
) -> Statement:
    """Add a statement's transactions to the plan: all of them or, when any row is wrong, none.

    - A CSV file is read with `mapping`, or the one remembered for its source, or a guess from its column
      names; NeedsMapping (a ServiceError) when none fits. The mapping used is remembered on the source.
    - Every date must be on or after the plan's start (its first agreed version's start date) and not in the
      future.
    - A transaction seen before (the same fingerprint on the plan: the bank's id, or the date, amount,
      description and running balance) is not added again. Importing the same file twice is accepted and adds
      nothing: the second Statement records that the statement was received (it still answers a period's
      statement), with added = 0 and already_seen = every row.
    - Money out is spend, money in a payment from the ICB or a refund (classify). Spend from a payee matched by
      hand before is matched to the same item (matched_how = rule).
    - A new row that is money already typed in by hand (typed_by_hand says when) is not added: the transaction
      typed in stays as it is (its date, words, receipt and match) and takes the row's fingerprint, bank id and
      running balance, so this file or an overlapping one never adds the row later. It counts in already_seen;
      the returned statement's typed_by_hand (not stored) says how many, and the audit trail records each.
    - source_name / source_kind: a new account or card to add the statement under (one of the same name on
      the plan is used instead), made in the same transaction.
    """
    plan = _locked_plan(plan)
    _refuse_unless_allowed(acting_user, plan)
    if not data:
        raise ServiceError("The file is empty. Choose the statement file again.")
    if len(data) > max_upload_bytes():
        raise ServiceError(too_big_message("statement file"))
    file_name = _clean_name(file_name) or "statement"
    resolved = _resolve_source(plan, source, source_name, source_kind, acting_user)
    source = resolved.source
    today = timezone.localdate()
    not_before = _not_before(plan)
    try:
        file_format = statements.sniff_format(data, file_name)
        table = None
        if file_format == "csv" and mapping is None:
            table = statements.read_rows(data)  # read once: for the mapping, then for the rows
            mapping = _mapping_for_table(table, source)
        rows = statements.parse(data, file_name, mapping, table=table)
        if not rows:
            raise ServiceError("The file has no transactions in it. Check it is the right file.")
        statements.check_dates(rows, not_before=not_before, today=today)
    except statements.StatementError as error:
        raise ServiceError(str(error)) from None
    if file_format == "csv" and source is not None and mapping is not None and source.mapping != mapping.as_dict():
        source.mapping = mapping.as_dict()
        source.save(update_fields=["mapping"])

    rows = [row for row in rows if row.amount != 0]  # a row that moves no money (a note, a balance) adds nothing
    if not rows:
        raise ServiceError("No row of the file pays money in or out. Check it is the right file.")
    prints = statements.fingerprints(rows)  # two identical rows in one file are two transactions
    seen = set(Transaction.objects.filter(plan=plan, fingerprint__in=set(prints)).values_list("fingerprint", flat=True))
    items = {str(item.key) for item in items_in_force(plan, on=today)}
    rules = _rules_for(plan, items)
    payments_in = _payments_in(plan, rows)
    statement = Statement(
        plan=plan,
        source=source,
        file_format=StatementFormat.OFX if file_format == "ofx" else StatementFormat.CSV,
        file_name=file_name,
        file_sha256=hashlib.sha256(data).hexdigest(),
        covers_from=min(row.on for row in rows),
        covers_to=max(row.on for row in rows),
        received_on=received_on or today,
        added_by=acting_user,
    )
    statement.full_clean()
    statement.save()
    now = timezone.now()
    unseen = []
    for row, print_ in zip(rows, prints, strict=True):
        if print_ in seen:
            continue
        seen.add(print_)
        unseen.append((row, print_, classify(row, payments_in)))
    typed = typed_by_hand(plan, [(row, kind) for row, _, kind in unseen])
    new, matched = [], 0
    payee_keys: dict[str, str] = {}  # description -> its payee key: worked out once a description
    rule_items: dict[str, str | None] = {}  # payee key -> the item a learned match gives it
    for index, (row, print_, kind) in enumerate(unseen):
        if index in typed:
            continue
        description = " ".join(str(row.description).split())[:300] or "No description"
        key = payee_keys.get(description)
        if key is None:
            key = payee_keys[description] = matching.payee_key(description)
        item_key = None
        if kind == TransactionKind.SPEND and rules:
            if key not in rule_items:
                rule_items[key] = matching.match_by_key(key, rules)
            item_key = rule_items[key]
        matched += item_key is not None
        new.append(
            _NewTransaction(
                on=row.on,
                amount=abs(row.amount),
                kind=kind,
                description=description,
                payee=key[:200],
                bank_id=(row.bank_id or "")[:100],
                running_balance=row.running_balance,
                fingerprint=print_,
                item_key=item_key,
            )
        )
    too_much = next((t for t in new if not Decimal("0") < t.amount <= MAX_AMOUNT), None)
    if too_much is not None:
        raise ServiceError(
            f"A transaction on {long_date(too_much.on)} is for {pounds(too_much.amount)}, more than "
            f"{pounds(MAX_AMOUNT)}. Check the file."
        )
    _add_transactions(new, plan=plan, statement=statement, acting_user=acting_user, matched_at=now)
    _link_typed(plan, statement, {typed[index]: unseen[index] for index in typed}, acting_user)
    statement.added, statement.already_seen = len(new), len(rows) - len(new)
    statement.save(update_fields=["added", "already_seen"])
    statement.typed_by_hand = len(typed)
    if resolved.created:
        audit.record(
            actor=acting_user,
            action=AuditAction.CREATE,
            obj=source,
            person_id=plan.person_id,
            summary=f"Added the account or card {source.name!r} for statements",
        )
    audit.record(
        actor=acting_user,
        action=AuditAction.IMPORT_STATEMENT,
        obj=statement,
        person_id=plan.person_id,
        summary=f"Added a statement for {long_date(statement.covers_from)} to {long_date(statement.covers_to)}: "
        f"{_count(len(new), 'new transaction')}, "
        + (f"{len(typed)} already typed in by hand, " if typed else "")
        + f"{len(rows) - len(new) - len(typed)} seen before, {matched} matched by earlier matches",
    )
    flagging.refresh(plan)
    return statement


@dataclass(frozen=True, slots=True)
class _NewTransaction:
    """A statement's row to add, as import_statement decided it. A row with an item_key was matched by a learned
    match (matched_how = rule) by the person importing, at the time of the import."""

    on: datetime.date
    amount: Decimal
    kind: TransactionKind
    description: str
    payee: str
    bank_id: str
    running_balance: Decimal | None
    fingerprint: str
    item_key: str | None


# Transaction's columns, in the order _copy_lines writes them: every concrete field of the model.
_COPY_FIELDS = (
    "id",
    "plan_id",
    "statement_id",
    "on",
    "amount",
    "kind",
    "description",
    "payee",
    "bank_id",
    "running_balance",
    "fingerprint",
    "item_key",
    "not_in_plan",
    "matched_how",
    "matched_by_id",
    "matched_at",
    "receipt_id",
    "added_by_id",
    "added_at",
)


def copy_columns() -> list[str] | None:
    """The database columns of _COPY_FIELDS, or None when they are not exactly Transaction's fields (a field
    added to the model and not here): then _add_transactions uses bulk_create, which sets every field."""
    columns = {field.attname: field.column for field in Transaction._meta.concrete_fields}
    if set(columns) != set(_COPY_FIELDS) or len(columns) != len(_COPY_FIELDS):
        return None
    return [columns[name] for name in _COPY_FIELDS]


def _add_transactions(new: list[_NewTransaction], *, plan, statement, acting_user, matched_at) -> None:
    """Insert a statement's new transactions, in the import's transaction. On PostgreSQL with one COPY (a tenth of
    the time of bulk_create's INSERT for 10,000 rows), storing exactly what bulk_create would: every field the
    model sets (a new uuid4 id, not_in_plan false, no receipt, added_at the time each row is written, in file
    order). The database's constraints (seen once, the amount's bounds, matched one way) are checked as for an
    INSERT; the fingerprints seen before were left out under the plan's row lock (import_statement), as for
    bulk_create. Any other database (the SQLite smoke run), or a text holding a NUL character (refused by the
    driver with the error it always gave), goes through bulk_create."""
    if not new:
        return
    connection = db_transaction.get_connection()
    columns = copy_columns() if connection.vendor == "postgresql" else None
    if columns is not None:
        lines = _copy_lines(new, plan=plan, statement=statement, acting_user=acting_user, matched_at=matched_at)
        if "\x00" not in lines:
            quote = connection.ops.quote_name
            sql = (
                f"COPY {quote(Transaction._meta.db_table)} ({', '.join(quote(column) for column in columns)}) "
                "FROM STDIN WITH (FORMAT csv)"
            )
            with connection.cursor() as cursor:
                raw = cursor.cursor
                if hasattr(raw, "copy_expert"):  # psycopg2 (psycopg 3 copies another way)
                    with connection.wrap_database_errors:
                        raw.copy_expert(sql, io.StringIO(lines))
                    return
    Transaction.objects.bulk_create(
        Transaction(
            plan=plan,
            statement=statement,
            on=row.on,
            amount=row.amount,
            kind=row.kind,
            description=row.description,
            payee=row.payee,
            bank_id=row.bank_id,
            running_balance=row.running_balance,
            fingerprint=row.fingerprint,
            item_key=row.item_key,
            matched_how=MatchHow.RULE if row.item_key else "",
            matched_by=acting_user if row.item_key else None,
            matched_at=matched_at if row.item_key else None,
            added_by=acting_user,
        )
        for row in new
    )


def _csv_text(text: str) -> str:
    """A text value for COPY ... (FORMAT csv): always quoted, so "" is an empty text and never NULL."""
    return '"' + text.replace('"', '""') + '"'


def _copy_lines(new: list[_NewTransaction], *, plan, statement, acting_user, matched_at) -> str:
    """The rows of a COPY (FORMAT csv) of Transaction's _COPY_FIELDS: NULL is an empty unquoted value."""
    plan_id, statement_id, user_id = str(plan.pk), str(statement.pk), str(acting_user.pk)
    matched_how, matched_on = _csv_text(MatchHow.RULE.value), matched_at.isoformat()
    unmatched = _csv_text("")
    one = datetime.timedelta(microseconds=1)
    lines, last = [], None
    for row in new:
        # auto_now_add: the time each row is written, as bulk_create sets it; never the same as the row before,
        # so the file's order stays the order they were added in (Transaction's ordering: -on, -added_at).
        added_at = timezone.now()
        if last is not None and added_at <= last:
            added_at = last + one
        last = added_at
        matched = bool(row.item_key)
        lines.append(
            ",".join(
                (
                    str(uuid.uuid4()),
                    plan_id,
                    statement_id,
                    row.on.isoformat(),
                    str(row.amount),
                    _csv_text(str(row.kind)),
                    _csv_text(row.description),
                    _csv_text(row.payee),
                    _csv_text(row.bank_id),
                    "" if row.running_balance is None else str(row.running_balance),
                    _csv_text(row.fingerprint),
                    "" if row.item_key is None else str(row.item_key),
                    "false",
                    matched_how if matched else unmatched,
                    user_id if matched else "",
                    matched_on if matched else "",
                    "",
                    user_id,
                    added_at.isoformat(),
                )
            )
        )
    lines.append("")
    return "\n".join(lines)


def typed_by_hand(plan, rows) -> dict[int, Transaction]:
    """Which of a file's new rows (row, kind) are money already typed in by hand: each row's index -> the
    transaction typed in that it is. One query.

    A row is a transaction typed in and not yet found on a statement (its fingerprint still TYPED_PREFIX's) when
    it is of the same kind (spend, refund or payment in), exactly the same amount, dated within
    TYPED_WINDOW_DAYS (5) days either side, and names the same payee (payments.matching.same_payee). Each is
    the other's once: the pairs nearest in date are taken first, then the earlier row, then the earlier typed."""
    if not rows:
        return {}
    window = datetime.timedelta(days=TYPED_WINDOW_DAYS)
    days = [row.on for row, _ in rows]
    waiting = defaultdict(list)
    for typed in Transaction.objects.filter(
        plan=plan, fingerprint__startswith=TYPED_PREFIX, on__gte=min(days) - window, on__lte=max(days) + window
    ).order_by("on", "added_at", "id"):
        waiting[(typed.kind, typed.amount)].append(typed)
    if not waiting:
        return {}
    pairs = sorted(
        (abs((typed.on - row.on).days), index, order, typed)
        for index, (row, kind) in enumerate(rows)
        for order, typed in enumerate(waiting.get((kind, abs(row.amount)), ()))
        if abs((typed.on - row.on).days) <= TYPED_WINDOW_DAYS
        and matching.same_payee(typed.description, row.description)
    )
    found, taken = {}, set()
    for _, index, _, typed in pairs:
        if index not in found and typed.pk not in taken:
            found[index] = typed
            taken.add(typed.pk)
    return found


def _link_typed(plan, statement: Statement, linked: dict, acting_user) -> None:
    """Each transaction typed in takes its row's fingerprint, bank id and running balance (linked: the typed-in
    transaction -> (row, fingerprint, kind)), recorded in the audit trail."""
    for typed, (row, print_, _) in linked.items():
        typed.fingerprint, typed.bank_id, typed.running_balance = print_, (row.bank_id or "")[:100], row.running_balance
    Transaction.objects.bulk_update(linked, ["fingerprint", "bank_id", "running_balance"])
    for typed, (row, _, _) in linked.items():
        kind = TRANSACTION_KIND_LABELS[TransactionKind(typed.kind)].lower()
        audit.record(
            actor=acting_user,
            action=AuditAction.UPDATE,
            obj=typed,
            person_id=plan.person_id,
            summary=f"Found on the statement for {long_date(statement.covers_from)} to "
            f"{long_date(statement.covers_to)}: {kind} {pounds(typed.amount)} typed in by hand for "
            f"{long_date(typed.on)} is its row of {long_date(row.on)}, so it was not added again",
        )


# Typed in, with a receipt ----------------------------------------------------------------------------------------

TYPED_KINDS = (TransactionKind.SPEND, TransactionKind.REFUND, TransactionKind.PAYMENT_IN, TransactionKind.RECOVERY)


def receipt_type(content: bytes) -> str:
    """The receipt's content type read from its first bytes (never its name or what the browser said), or ""
    when it is not a PDF, JPEG or PNG."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return ""


def _clean_name(name: str) -> str:
    """A file name as sent, made safe to keep and to offer back: its last part only, printable characters."""
    base = PurePath(str(name or "").replace("\\", "/")).name
    return "".join(c for c in base if c.isprintable() and c not in '"<>|:*?')[:NAME_LENGTH].strip()


def receipt_name(name: str, content_type: str) -> str:
    """The name kept for a receipt: the name sent, its ending made the one for its real type (a PNG named
    receipt.pdf is kept as receipt.png), so nothing opens it as something else."""
    stem = PurePath(_clean_name(name) or "receipt").stem or "receipt"
    ending = RECEIPT_TYPES[content_type]
    return stem[: NAME_LENGTH - len(ending)] + ending


def check_receipt(content: bytes) -> str:
    """The receipt's content type, or ServiceError saying what is wrong with the file."""
    if not content:
        raise ServiceError("The receipt file is empty. Choose the receipt again.")
    if len(content) > max_upload_bytes():
        raise ServiceError(too_big_message("receipt"))
    content_type = receipt_type(content)
    if not content_type:
        raise ServiceError("The receipt must be a PDF, JPEG or PNG file. Take a photo of it or scan it.")
    return content_type


def _save_receipt(plan, receipt: tuple[str, bytes], acting_user) -> Receipt:
    name, content = receipt
    content_type = check_receipt(content)
    stored = Receipt(
        plan=plan,
        file_name=receipt_name(name, content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        added_by=acting_user,
    )
    stored.full_clean()
    stored.save()
    return stored


@db_transaction.atomic
def add_by_hand(
    *,
    plan,
    on: datetime.date,
    amount: Decimal,
    kind: str,
    description: str,
    acting_user,
    receipt: tuple[str, bytes] | None = None,
) -> Transaction:
    """One transaction typed in (with its receipt, if any), as a statement of its own covering that day.

    A transaction typed in is never taken for one seen before (its fingerprint is new each time, starting
    TYPED_PREFIX): the form that sends it is sent once (phb.once). A statement imported later that shows the
    same money does not add it again (import_statement)."""
    plan = _locked_plan(plan)
    _refuse_unless_allowed(acting_user, plan)
    if kind not in TYPED_KINDS:
        raise ServiceError("Select whether the money was spent, refunded, paid in or paid back.")
    if not isinstance(amount, Decimal) or round_pounds(amount) != amount or amount <= 0:
        raise ServiceError("Enter an amount of more than £0, in pounds and pence, like 12.50")
    if amount > MAX_AMOUNT:
        raise ServiceError(f"The amount must be {pounds(MAX_AMOUNT)} or less.")
    description = " ".join((description or "").split())
    if not description:
        raise ServiceError("Enter what the money was for, or who it was paid to.")
    if len(description) > 300:
        raise ServiceError("What the money was for must be 300 characters or fewer.")
    today, not_before = timezone.localdate(), _not_before(plan)
    if on > today:
        raise ServiceError("The date must be today or in the past.")
    if on < not_before:
        raise ServiceError(f"The date must be on or after {long_date(not_before)}, when the plan started.")
    stored = _save_receipt(plan, receipt, acting_user) if receipt is not None else None
    statement = Statement(
        plan=plan,
        file_format=StatementFormat.TYPED,
        file_name=stored.file_name if stored else "",
        covers_from=on,
        covers_to=on,
        received_on=today,
        added=1,
        added_by=acting_user,
    )
    statement.full_clean()
    statement.save()
    item_key = None
    payee = matching.payee_key(description)[:200]
    if kind == TransactionKind.SPEND:
        items = {str(item.key) for item in items_in_force(plan, on=today)}
        rules = _rules_for(plan, items)
        item_key = matching.match_by_rules(description, rules) if rules else None
    added = Transaction(
        plan=plan,
        statement=statement,
        on=on,
        amount=amount,
        kind=kind,
        description=description,
        payee=payee,
        fingerprint=f"{TYPED_PREFIX}{uuid.uuid4().hex}",
        item_key=item_key,
        matched_how=MatchHow.RULE if item_key else "",
        matched_by=acting_user if item_key else None,
        matched_at=timezone.now() if item_key else None,
        receipt=stored,
        added_by=acting_user,
    )
    added.full_clean()
    added.save()
    with_receipt = f", with a {RECEIPT_TYPE_NAMES[stored.content_type]} receipt" if stored else ""
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=added,
        person_id=plan.person_id,
        summary=f"Typed in: {TRANSACTION_KIND_LABELS[TransactionKind(kind)].lower()} {pounds(amount)} on "
        f"{long_date(on)}{with_receipt}",
    )
    flagging.refresh(plan)
    return added


# Matching spend to the plan --------------------------------------------------------------------------------------


@db_transaction.atomic
def match(*, transaction: Transaction, item_key: str | None, not_in_plan: bool, acting_user) -> int:
    """Match spending (or a refund) by hand to an item of the plan in force, or mark it as not in the plan.

    A match to an item is learned (the payee's key -> the item, one MatchRule a payee, changed by a later
    match) and applied at once to the plan's other spend from the same payee still to match. Returns how many
    other transactions the learned match matched. Marking spend as not in the plan learns nothing: it raises a
    flag for the coordinator (payments.balance)."""
    locked = Transaction.objects.select_for_update().filter(pk=transaction.pk).first()
    if locked is None:
        raise ServiceError("This transaction could not be found.")
    plan = SupportPlan.objects.select_related("person").get(pk=locked.plan_id)
    _refuse_unless_allowed(acting_user, plan)
    if locked.kind not in (TransactionKind.SPEND, TransactionKind.REFUND):
        raise ServiceError("Only spending and refunds are matched to the plan.")
    if bool(item_key) == bool(not_in_plan):
        raise ServiceError("Select the item in the plan this was for, or that it is not in the plan.")
    item = None
    if item_key:
        item = next((i for i in items_in_force(plan) if str(i.key) == str(item_key)), None)
        if item is None:
            raise ServiceError("Select one of the items in the plan in force.")
    now = timezone.now()
    locked.item_key = item.key if item else None
    locked.not_in_plan = bool(not_in_plan)
    locked.matched_how, locked.matched_by, locked.matched_at = MatchHow.PERSON, acting_user, now
    locked.save(update_fields=["item_key", "not_in_plan", "matched_how", "matched_by", "matched_at"])
    also = 0
    if item is not None and locked.payee:
        MatchRule.objects.update_or_create(
            plan=plan, payee=locked.payee, defaults={"item_key": item.key, "learned_by": acting_user}
        )
        also = (
            Transaction.objects.filter(
                plan=plan,
                payee=locked.payee,
                kind=TransactionKind.SPEND,
                item_key__isnull=True,
                not_in_plan=False,
            )
            .exclude(pk=locked.pk)
            .update(item_key=item.key, matched_how=MatchHow.RULE, matched_by=acting_user, matched_at=now)
        )
    kind = TRANSACTION_KIND_LABELS[TransactionKind(locked.kind)].lower()
    what = f"{kind} {pounds(locked.amount)} on {long_date(locked.on)}"
    if item is not None:
        more = f"; {_count(also, 'more transaction')} from the same payee matched too" if also else ""
        summary = f"Matched {what} to the item {item.description!r}{more}"
    else:
        summary = f"Marked {what} as not in the plan"
    audit.record(
        actor=acting_user, action=AuditAction.MATCH_SPEND, obj=locked, person_id=plan.person_id, summary=summary
    )
    flagging.refresh(plan)
    return also


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
