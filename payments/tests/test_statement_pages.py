"""The staff pages of statements and spending: the plan's list with its match forms, adding a statement (and the
columns step), typing a transaction in with a receipt, matching, and the receipt's download."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments import statement_services as services
from payments.balance import TransactionKind
from payments.models import MatchRule, Receipt, StatementSource, Transaction
from phb.models import AuditAction, AuditEvent
from phb.once import new_token
from tests.page_data import finance

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
STATEMENT = b"Date,Description,Amount\n03/04/2026,ACME CARE LTD,-45.50\n05/04/2026,LEEDS SWIM CLUB,-12.00\n"
UNKNOWN_COLUMNS = b"When,What,How much\n03/04/2026,ACME CARE LTD,-45.50\n"


@pytest.fixture
def plan(active):
    return active.plan


@pytest.fixture
def spend(plan, alice):
    services.import_statement(plan=plan, data=STATEMENT, file_name="s.csv", acting_user=alice)
    return Transaction.objects.get(description="ACME CARE LTD")


@pytest.fixture
def receipt(plan, alice):
    return services.add_by_hand(
        plan=plan,
        on=datetime.date(2026, 4, 10),
        amount=Decimal("9.99"),
        kind=TransactionKind.SPEND,
        description="Chemist",
        acting_user=alice,
        receipt=("receipt.png", PNG),
    ).receipt


def url(name, **kwargs):
    return reverse(f"payments:{name}", kwargs=kwargs)


def text(response) -> str:
    return response.content.decode()


def upload(data: bytes, name="statement.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def new_source(**more):
    return {"source": "new", "source_name": "Jo's account", "source_kind": "bank", **more}


# Who sees and who may add


def test_the_coordinator_sees_the_list_with_the_match_forms_and_it_is_audited(client, plan, spend, alice):
    client.force_login(alice)
    response = client.get(url("statements", plan_id=plan.pk))
    html = text(response)
    assert response.status_code == 200
    assert "ACME CARE LTD" in html and 'data-testid="add-statement"' in html and 'data-testid="match-form"' in html
    assert "Personal assistant" in html and "Not in the plan" in html
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=alice, person_id=plan.person_id).exists()


def test_all_shows_every_transaction_and_to_match_only_spend_still_to_match(client, plan, spend, alice):
    services.match(transaction=spend, item_key=None, not_in_plan=True, acting_user=alice)
    client.force_login(alice)
    to_match = text(client.get(url("statements", plan_id=plan.pk)))
    assert "LEEDS SWIM CLUB" in to_match and "ACME CARE LTD" not in to_match
    everything = text(client.get(url("statements", plan_id=plan.pk) + "?show=all"))
    assert "ACME CARE LTD" in everything and "Not in the plan" in everything


def test_the_phb_team_without_finance_sees_but_may_not_add(client, plan, spend, leo):
    client.force_login(leo)
    html = text(client.get(url("statements", plan_id=plan.pk)))
    assert 'data-testid="read-only"' in html and 'data-testid="add-statement"' not in html
    assert 'data-testid="match-form"' not in html
    for name in ("statement_add", "transaction_add"):
        assert client.get(url(name, plan_id=plan.pk)).status_code == 404


def test_the_finance_role_may_add(client, plan, maker):
    client.force_login(maker)
    assert 'data-testid="add-statement"' in text(client.get(url("statements", plan_id=plan.pk)))
    assert client.get(url("statement_add", plan_id=plan.pk)).status_code == 200


@pytest.mark.parametrize("who", ["charlie", "pat"])
def test_outsiders_get_404_everywhere(client, plan, spend, receipt, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for address in (
        url("statements", plan_id=plan.pk),
        url("statement_add", plan_id=plan.pk),
        url("statement_columns", plan_id=plan.pk),
        url("transaction_add", plan_id=plan.pk),
        url("receipt", pk=receipt.pk),
    ):
        assert client.get(address).status_code == 404, address
    response = client.post(url("transaction_match", pk=spend.pk), {"match": "not_in_plan"})
    assert response.status_code == 404
    spend.refresh_from_db()
    assert not spend.not_in_plan
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=user).count() == 6
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, actor=user, object_type="payments.receipt").exists()


# Adding a statement


def test_a_statement_is_uploaded_and_the_page_says_what_was_added(client, plan, alice):
    client.force_login(alice)
    response = client.post(
        url("statement_add", plan_id=plan.pk), {"statement_file": upload(STATEMENT), **new_source()}, follow=True
    )
    assert "Statement added: 2 new transactions." in text(response)
    assert Transaction.objects.filter(plan=plan).count() == 2
    assert StatementSource.objects.get(plan=plan).name == "Jo's account"
    again = client.post(
        url("statement_add", plan_id=plan.pk),
        {"statement_file": upload(STATEMENT), "source": str(StatementSource.objects.get().pk)},
        follow=True,
    )
    assert "Nothing new was added" in text(again) and Transaction.objects.filter(plan=plan).count() == 2


def test_the_page_says_how_many_rows_were_already_typed_in_by_hand(client, plan, alice, receipt):
    client.force_login(alice)
    data = STATEMENT + b"11/04/2026,CARD PAYMENT TO CHEMIST ON 10/04,-9.99\n"  # the receipt's £9.99 of 10 April
    response = client.post(
        url("statement_add", plan_id=plan.pk), {"statement_file": upload(data), **new_source()}, follow=True
    )
    assert "Statement added: 2 new transactions. 1 already typed in by hand was not added again." in text(response)
    assert Transaction.objects.filter(plan=plan).count() == 3
    again = client.post(
        url("statement_add", plan_id=plan.pk),
        {"statement_file": upload(data), "source": str(StatementSource.objects.get().pk)},
        follow=True,
    )
    assert "We already had every transaction in this file (3)." in text(again)


def test_a_file_it_cannot_read_is_shown_with_the_row_and_nothing_is_added(client, plan, alice):
    client.force_login(alice)
    bad = STATEMENT + b"06/04/2026,TESCO,12.3x\n"
    response = client.post(url("statement_add", plan_id=plan.pk), {"statement_file": upload(bad), **new_source()})
    assert response.status_code == 200 and "Row 4" in text(response) and "There is a problem" in text(response)
    assert not Transaction.objects.exists() and not StatementSource.objects.exists()


def test_unknown_columns_ask_which_is_which_then_import_and_remember(client, plan, alice):
    client.force_login(alice)
    response = client.post(
        url("statement_add", plan_id=plan.pk), {"statement_file": upload(UNKNOWN_COLUMNS), **new_source()}
    )
    assert response.status_code == 302 and response.url == url("statement_columns", plan_id=plan.pk)
    page = text(client.get(response.url))
    assert "Which column is which?" in page and "How much" in page and "ACME CARE LTD" in page
    done = client.post(
        response.url, {"date": "0", "description": "1", "amount": "2", "date_order": "dmy", "once": new_token()}
    )
    assert done.status_code == 302
    assert Transaction.objects.get(plan=plan).description == "ACME CARE LTD"
    assert StatementSource.objects.get(plan=plan).mapping["amount"] == "How much"
    assert "payments_statement_upload" not in client.session  # the file is not kept once imported
    # The columns page without a file kept goes back to the upload.
    assert client.get(response.url).url == url("statement_add", plan_id=plan.pk)


def test_columns_that_do_not_fit_are_asked_again(client, plan, alice):
    client.force_login(alice)
    client.post(url("statement_add", plan_id=plan.pk), {"statement_file": upload(UNKNOWN_COLUMNS), **new_source()})
    response = client.post(
        url("statement_columns", plan_id=plan.pk), {"date": "0", "description": "0", "amount": "2", "date_order": "dmy"}
    )
    assert response.status_code == 200 and "more than one thing" in text(response)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},  # no file at all
        {"statement_file": upload(b"")},
        {"statement_file": upload(b"%PDF-1.4 not a statement")},
        {"statement_file": upload(b"PK\x03\x04 an xlsx renamed")},
    ],
)
def test_hostile_uploads_are_refused_with_a_message_not_an_error(client, plan, alice, data):
    client.force_login(alice)
    response = client.post(url("statement_add", plan_id=plan.pk), {**data, **new_source()})
    assert response.status_code == 200 and "There is a problem" in text(response)
    assert not Transaction.objects.exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, plan, alice, settings):
    settings.PAYMENTS_MAX_UPLOAD_MB = 1
    client.force_login(alice)
    big = upload(STATEMENT + b" " * (1024 * 1024 + 1))
    response = client.post(url("statement_add", plan_id=plan.pk), {"statement_file": big, **new_source()})
    assert response.status_code == 200 and "1 MB or smaller" in text(response)


def test_a_garbled_kept_upload_sends_back_to_the_upload(client, plan, alice):
    client.force_login(alice)
    session = client.session
    session["payments_statement_upload"] = {"plan": str(plan.pk), "data": "not base64!!", "name": "x"}
    session.save()
    response = client.get(url("statement_columns", plan_id=plan.pk))
    assert response.status_code == 302 and response.url == url("statement_add", plan_id=plan.pk)


# Typed in, with a receipt


def typed(**more):
    return {
        "kind": "spend",
        "on_day": "10",
        "on_month": "4",
        "on_year": "2026",
        "amount": "£18.50",
        "description": "Leeds Swim Club",
        **more,
    }


def test_a_transaction_is_typed_in_with_a_receipt(client, plan, alice):
    client.force_login(alice)
    response = client.post(
        url("transaction_add", plan_id=plan.pk),
        typed(receipt=SimpleUploadedFile("receipt.pdf", PNG, content_type="application/pdf")),
        follow=True,
    )
    assert "with its receipt" in text(response)
    added = Transaction.objects.get(plan=plan)
    assert added.amount == Decimal("18.50") and added.receipt.content_type == "image/png"


def test_a_receipt_that_is_not_a_picture_or_pdf_is_refused_on_the_form(client, plan, alice):
    client.force_login(alice)
    fake = SimpleUploadedFile("receipt.png", b"hello, I am text", content_type="image/png")
    response = client.post(url("transaction_add", plan_id=plan.pk), typed(receipt=fake))
    assert response.status_code == 200 and "PDF, JPEG or PNG" in text(response)
    assert not Transaction.objects.exists() and not Receipt.objects.exists()


def test_the_typed_form_says_what_is_missing(client, plan, alice):
    client.force_login(alice)
    response = client.post(url("transaction_add", plan_id=plan.pk), {"amount": "lots", "on_day": "40"})
    html = text(response)
    assert response.status_code == 200 and "Enter an amount in pounds" in html and "Select what the money was" in html


def test_a_form_sent_twice_adds_once(client, plan, alice):
    client.force_login(alice)
    token = new_token()
    for _ in range(2):
        response = client.post(url("transaction_add", plan_id=plan.pk), typed(once=token))
        assert response.status_code == 302
    assert Transaction.objects.filter(plan=plan).count() == 1


# Matching


def test_matching_from_the_list_learns_and_says_so(client, plan, active, spend, alice):
    item = active.items.get(description="Personal assistant")
    client.force_login(alice)
    response = client.post(url("transaction_match", pk=spend.pk), {"match": str(item.key), "once": new_token()})
    assert response.status_code == 302 and response.url == url("statements", plan_id=plan.pk)
    spend.refresh_from_db()
    assert spend.item_key == item.key and MatchRule.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("choice", ["", "nonsense", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_match_is_a_message_not_an_error(client, plan, spend, alice, choice):
    client.force_login(alice)
    response = client.post(url("transaction_match", pk=spend.pk), {"match": choice}, follow=True)
    assert response.status_code == 200 and "Select" in text(response)
    spend.refresh_from_db()
    assert spend.item_key is None and not spend.not_in_plan


def test_the_finance_role_may_match_and_the_phb_team_without_it_may_not(client, plan, spend, maker, leo):
    client.force_login(leo)
    assert client.post(url("transaction_match", pk=spend.pk), {"match": "not_in_plan"}).status_code == 404
    spend.refresh_from_db()
    assert not spend.not_in_plan
    client.force_login(maker)
    client.post(url("transaction_match", pk=spend.pk), {"match": "not_in_plan"})
    spend.refresh_from_db()
    assert spend.not_in_plan


# The receipt


def test_every_view_of_a_receipt_is_audited_and_it_downloads_safely(client, plan, receipt, alice, leo):
    for user in (alice, leo, alice):
        client.force_login(user)
        response = client.get(url("receipt", pk=receipt.pk))
        assert response.status_code == 200 and response.content == PNG
        assert response["Content-Type"] == "image/png"
        assert (
            response["Content-Disposition"].startswith("attachment")
            and "receipt.png" in response["Content-Disposition"]
        )
        assert response["X-Content-Type-Options"] == "nosniff"
    views = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="payments.receipt", object_id=str(receipt.pk)
    )
    assert views.count() == 3 and set(views.values_list("person_id", flat=True)) == {plan.person_id}


def test_the_finance_role_gets_the_receipt(client, receipt, priya):
    client.force_login(finance(priya))
    assert client.get(url("receipt", pk=receipt.pk)).status_code == 200


def test_the_list_runs_at_most_8_queries_whatever_its_length(client, plan, alice):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)
    address = url("statements", plan_id=plan.pk) + "?show=all"
    services.import_statement(plan=plan, data=STATEMENT, file_name="s.csv", acting_user=alice)
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        assert client.get(address).status_code == 200
    rows = "".join(f"{day:02d}/04/2026,SHOP {day},-1.00\n" for day in range(1, 29))
    services.import_statement(
        plan=plan, data=b"Date,Description,Amount\n" + rows.encode(), file_name="t", acting_user=alice
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(address).status_code == 200
    assert len(many) == len(few) <= 8, [q["sql"] for q in many.captured_queries]
