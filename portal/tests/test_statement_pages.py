"""The person's statements and spending in the portal: only their own, for their plan in force; sending a statement
(and saying which column is which), sending a receipt, and downloading their receipts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments import statement_services
from payments.balance import TransactionKind
from payments.models import Receipt, StatementSource, Transaction
from phb.models import AuditAction, AuditEvent
from phb.once import new_token

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
STATEMENT = b"Date,Description,Amount\n03/04/2026,ACME CARE LTD,-45.50\n05/04/2026,LEEDS SWIM CLUB,-12.00\n"


def url(name, person, **kwargs):
    return reverse(f"portal:{name}", kwargs={"pk": person.pk, **kwargs})


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def janes_receipt(janes_plan, alice):
    return statement_services.add_by_hand(
        plan=janes_plan.plan,
        on=datetime.date(2026, 4, 10),
        amount=Decimal("9.99"),
        kind=TransactionKind.SPEND,
        description="Chemist",
        acting_user=alice,
        receipt=("receipt.png", PNG),
    ).receipt


def sources_form(**more):
    return {"source": "new", "source_name": "My bank account", "source_kind": "bank", **more}


def test_the_person_sends_a_statement_and_sees_it(client, janes_plan, jane, pat):
    client.force_login(pat)
    assert client.get(url("statement_add", jane)).status_code == 200
    response = client.post(
        url("statement_add", jane),
        sources_form(statement_file=SimpleUploadedFile("march.csv", STATEMENT), once=new_token()),
        follow=True,
    )
    html = text(response)
    assert "Statement added: 2 new transactions." in html and "LEEDS SWIM CLUB" in html
    added = Transaction.objects.filter(plan=janes_plan.plan)
    assert added.count() == 2 and {t.added_by for t in added} == {pat}
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT_STATEMENT, actor=pat, person_id=jane.pk).exists()


def test_the_person_says_which_column_is_which(client, janes_plan, jane, pat):
    client.force_login(pat)
    response = client.post(
        url("statement_add", jane),
        sources_form(statement_file=SimpleUploadedFile("odd.csv", b"When,What,How much\n03/04/2026,CHEMIST,-4.00\n")),
    )
    assert response.url == url("statement_columns", jane)
    assert "Which column is which?" in text(client.get(response.url))
    client.post(response.url, {"date": "0", "description": "1", "amount": "2", "date_order": "dmy"})
    assert Transaction.objects.get(plan=janes_plan.plan).description == "CHEMIST"
    assert StatementSource.objects.get(plan=janes_plan.plan).mapping["date"] == "When"


def test_the_person_sends_a_receipt(client, janes_plan, jane, pat):
    client.force_login(pat)
    page = text(client.get(url("receipt_add", jane)))
    assert "Send a receipt" in page and "Paid back to the NHS" not in page  # spending or money back only
    response = client.post(
        url("receipt_add", jane),
        {
            "kind": "spend",
            "on_day": "12",
            "on_month": "4",
            "on_year": "2026",
            "amount": "7.20",
            "description": "Bus to the pool",
            "receipt": SimpleUploadedFile("ticket.png", PNG),
        },
    )
    assert response.status_code == 302
    added = Transaction.objects.get(plan=janes_plan.plan)
    assert added.receipt.content_type == "image/png" and added.added_by == pat


def test_a_receipt_of_the_wrong_kind_is_refused_in_plain_words(client, janes_plan, jane, pat):
    client.force_login(pat)
    response = client.post(
        url("receipt_add", jane),
        {
            "kind": "refund",
            "on_day": "12",
            "on_month": "4",
            "on_year": "2026",
            "amount": "7.20",
            "description": "Refund",
            "receipt": SimpleUploadedFile("ticket.png", b"this is text"),
        },
    )
    assert response.status_code == 200 and "PDF, JPEG or PNG" in text(response)
    assert not Receipt.objects.exists()


def test_the_person_downloads_their_receipt_and_each_download_is_audited(client, jane, pat, janes_receipt):
    client.force_login(pat)
    for _ in range(2):
        response = client.get(url("receipt", jane, receipt_pk=janes_receipt.pk))
        assert response.status_code == 200 and response.content == PNG
        assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Disposition"].startswith("attach")
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=pat, object_id=str(janes_receipt.pk)).count() == 2
    assert "Download your receipt" in text(client.get(url("statements", jane)))


def test_nobody_else_reaches_the_persons_pages_or_receipts(client, jane, sam, janes_receipt, quinn, alice):
    pages = [
        url("statements", jane),
        url("statement_add", jane),
        url("statement_columns", jane),
        url("receipt_add", jane),
        url("receipt", jane, receipt_pk=janes_receipt.pk),
    ]
    for user in (quinn, alice):  # another patient; staff (even Jane's coordinator) use the staff pages
        client.force_login(user)
        for address in pages:
            assert client.get(address).status_code == 404, (user, address)
    client.force_login(quinn)
    # Quinn, on Sam's pages, cannot reach Jane's receipt through them either.
    assert client.get(url("receipt", sam, receipt_pk=janes_receipt.pk)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(janes_receipt.pk)).exists()


def test_without_a_plan_in_force_the_pages_say_so(client, jane, pat):
    client.force_login(pat)
    for name in ("statements", "statement_add", "receipt_add"):
        response = client.get(url(name, jane))
        assert response.status_code == 200 and 'data-testid="no-plan"' in text(response)
    response = client.post(
        url("statement_add", jane), sources_form(statement_file=SimpleUploadedFile("a.csv", STATEMENT))
    )
    assert response.status_code == 200 and not Transaction.objects.exists()


def test_a_huge_or_missing_file_is_a_message(client, janes_plan, jane, pat, settings):
    settings.PAYMENTS_MAX_UPLOAD_MB = 1
    client.force_login(pat)
    missing = client.post(url("statement_add", jane), sources_form())
    assert missing.status_code == 200 and "Choose the statement file" in text(missing)
    big = SimpleUploadedFile("big.csv", STATEMENT + b" " * (1024 * 1024 + 1))
    response = client.post(url("statement_add", jane), sources_form(statement_file=big))
    assert response.status_code == 200 and "1 MB or smaller" in text(response)
    assert not Transaction.objects.exists()


def test_the_list_runs_at_most_8_queries_whatever_its_length(client, janes_plan, jane, pat, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(days):
        rows = "".join(f"{day:02d}/04/2026,SHOP {day},-1.00\n" for day in days)
        statement_services.import_statement(
            plan=janes_plan.plan, data=b"Date,Description,Amount\n" + rows.encode(), file_name="s", acting_user=alice
        )

    client.force_login(pat)
    add([1, 2])
    client.get(url("statements", jane))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("statements", jane)).status_code == 200
    add(range(3, 29))
    with CaptureQueriesContext(connection) as many:
        html = text(client.get(url("statements", jane)))
    assert len(many) == len(few) <= 8 and "Older" in html
