"""Reading statements (payments.statements): the issue's "Bad input" table, each case from a real file in
payments/tests/data/, and properties of amounts, dates and fingerprints. No database."""

import contextlib
import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payments import statements
from payments.statements import (
    ColumnMapping,
    Row,
    StatementError,
    check_dates,
    fingerprint,
    fingerprints,
    guess_mapping,
    parse,
    parse_amount,
    parse_csv,
    parse_date,
    parse_ofx,
    read_rows,
    read_table,
    sniff_format,
)
from phb.money import MAX_AMOUNT, parse_pounds

DATA = Path(__file__).parent / "data"
D = Decimal
APRIL_5 = datetime.date(2026, 4, 5)


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def summary(rows: list[Row]) -> list[tuple]:
    return [(row.line, row.on.isoformat(), str(row.amount), row.description, row.running_balance) for row in rows]


# Files that import -------------------------------------------------------------------------------------------------

GOOD = [
    pytest.param(
        "excel_windows_1252.csv",
        [
            (2, "2026-04-03", "1234.50", "NHS NORTH ICB DIRECT PAYMENT", None),
            (3, "2026-04-05", "-45.50", "CARD PAYMENT TO ACME CARE LTD ON 05/04", None),
            (4, "2026-04-07", "-3.20", "Café Nero – coffee with PA", None),
        ],
        id="excel-windows-1252-with-pound-signs",
    ),
    pytest.param(
        "utf8_bom.csv",
        [
            (2, "2026-04-03", "1200.00", "BGC NHS NORTH ICB", None),
            (3, "2026-04-06", "-300.00", "DD ACME CARE LTD", None),
            (4, "2026-04-09", "-4.75", "Café Crème", None),
        ],
        id="utf8-with-byte-order-mark",
    ),
    pytest.param(
        "semicolons.csv",
        [
            (2, "2026-04-03", "1200.00", "NHS NORTH ICB", D("1200.00")),
            (3, "2026-04-05", "-45.50", "ACME CARE LTD, INVOICE 12", D("1154.50")),
        ],
        id="semicolons",
    ),
    pytest.param(
        "tabs.csv",
        [(2, "2026-04-03", "1200.00", "NHS NORTH ICB", None), (3, "2026-04-05", "-45.50", "ACME CARE LTD", None)],
        id="tabs",
    ),
    pytest.param(
        "utf16_excel_unicode_text.csv",
        [(2, "2026-04-05", "-3.20", "Café", None)],
        id="utf16-excel-unicode-text",
    ),
    pytest.param(
        "amounts.csv",
        [
            (2, "2026-04-05", "1234.50", "pound sign and thousands", None),
            (3, "2026-04-05", "1234.50", "no pence", None),
            (4, "2026-04-05", "-12.00", "brackets", None),
            (5, "2026-04-05", "-12.00", "minus in front", None),
            (6, "2026-04-05", "-12.00", "minus behind", None),
            (7, "2026-04-05", "-12.00", "debit mark", None),
            (8, "2026-04-05", "12.00", "credit mark", None),
            (9, "2026-04-05", "-7.25", "minus and pound", None),
        ],
        id="amount-styles",
    ),
    pytest.param(
        "dates.csv",
        [
            (line, "2026-04-05", f"-{line - 1}.00", words, None)
            for line, words in enumerate(
                [
                    "dd/mm/yyyy",
                    "d/m/yyyy",
                    "dd-mm-yyyy",
                    "dd.mm.yyyy",
                    "yyyy-mm-dd",
                    "dd Mon yyyy",
                    "d Month yyyy",
                    "dd-Mon-yy",
                    "dd/mm/yy",
                    "with a time",
                ],
                start=2,
            )
        ],
        id="date-styles-day-first",
    ),
    pytest.param(
        "debit_credit.csv",
        [
            (2, "2026-04-03", "1200.00", "NHS NORTH ICB", D("1200.00")),
            (3, "2026-04-05", "-45.50", "ACME CARE LTD", D("1154.50")),
            # Line 4 is £0.00 out: it moves no money, so it is left out.
            (5, "2026-04-08", "-100.00", "J SMITH PA", D("1054.50")),
            (6, "2026-04-10", "5.00", "REFUND ACME", D("1059.50")),
        ],
        id="separate-debit-and-credit-columns",
    ),
    pytest.param(
        "blank_lines.csv",
        [(3, "2026-04-03", "1200.00", "NHS NORTH ICB", None), (6, "2026-04-05", "-45.50", "ACME CARE LTD", None)],
        id="blank-lines-skipped-line-numbers-kept",
    ),
    pytest.param(
        "trailer_rows.csv",
        [
            (3, "2026-04-03", "1200.00", "NHS NORTH ICB", D("1200.00")),
            (4, "2026-04-05", "-30.00", "TOTAL FITNESS GYM", D("1170.00")),
        ],
        id="trailer-rows-skipped-but-not-a-payee-called-total",
    ),
    pytest.param(
        "account_details_above.csv",
        [
            (6, "2026-04-03", "1200.00", "NHS NORTH ICB", D("1200.00")),
            (7, "2026-04-05", "-45.50", "ACME CARE LTD", D("1154.50")),
        ],
        id="account-details-above-the-column-names",
    ),
    pytest.param(
        "multiline_description.csv",
        [
            (2, "2026-04-03", "1200.00", "NHS NORTH ICB DIRECT PAYMENT", None),
            (4, "2026-04-05", "-45.50", "ACME CARE LTD", None),
        ],
        id="quoted-description-over-two-lines",
    ),
]


@pytest.mark.parametrize(("name", "expected"), GOOD)
def test_it_reads_each_good_statement_file(name, expected):
    assert summary(parse(data(name), name, None)) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "ofx1_sgml.ofx",
            [
                (39, "2026-04-03", "1200.00", "NHS NORTH ICB DIRECT PAYMENT APRIL", "202604030001", "Transaction 1"),
                (47, "2026-04-05", "-45.50", "ACME CARE LTD", "202604050002", "Transaction 2"),
            ],
            id="ofx-1-sgml-bank",
        ),
        pytest.param(
            "ofx2_xml.ofx",
            [
                (21, "2026-04-03", "500.00", "LOAD FROM NHS NORTH ICB", "PP-2026-04-03-01", "Transaction 1"),
                # Posted at 00:30 British Summer Time: the bank's day, not the day in UTC (4 April).
                (28, "2026-04-05", "-12.34", "SWIMMING POOL HYDROTHERAPY SESSION", "PP-2026-04-05-01", "Transaction 2"),
            ],
            id="ofx-2-xml-prepaid-card",
        ),
    ],
)
def test_it_reads_ofx_files_with_fitid_as_the_bank_id(name, expected):
    rows = parse(data(name), name, None)
    assert [(r.line, r.on.isoformat(), str(r.amount), r.description, r.bank_id, r.place) for r in rows] == expected


def test_it_reads_an_ofx_file_whatever_it_is_called():
    assert len(parse(data("ofx1_sgml.ofx"), "statement.csv", None)) == 2


def test_it_reads_columns_it_cannot_guess_with_the_mapping_chosen():
    mapping = ColumnMapping(date="When", description="What", amount="How much")
    rows = parse(data("unrecognised_headers.csv"), "statement.csv", mapping)
    assert summary(rows) == [
        (2, "2026-04-03", "1200.00", "NHS NORTH ICB", None),
        (3, "2026-04-05", "-45.50", "ACME CARE LTD", None),
    ]


def test_it_reads_two_digit_years_in_the_order_the_mapping_gives():
    text = b"Date,Description,Amount\n26/04/05,X,-1.00\n"
    assert parse_csv(text, ColumnMapping("Date", "Description", "Amount", date_order="ymd"))[0].on == APRIL_5.replace(
        day=5
    )
    assert parse_csv(text, ColumnMapping("Date", "Description", "Amount"))[0].on == datetime.date(2005, 4, 26)


def test_it_keeps_the_bank_ids_of_a_csv_so_two_like_payments_stay_two():
    rows = parse(data("bank_ids.csv"), "bank_ids.csv", None)
    assert [row.bank_id for row in rows] == ["TX-0001", "TX-0002", "TX-0003"]
    assert len({fingerprint(row) for row in rows}) == 3


def test_it_gives_an_empty_description_words_and_cuts_a_long_one():
    text = ("Date,Description,Amount\n05/04/2026,,-1.00\n05/04/2026," + "A" * 400 + ",-2.00\n").encode()
    rows = parse(text, "s.csv", None)
    assert rows[0].description == "No description"
    assert rows[1].description == "A" * 300


# Files refused -----------------------------------------------------------------------------------------------------


def tiny_xlsx() -> bytes:
    """A real (if tiny) Excel workbook, as a zip of its XML parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as workbook:
        workbook.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/></Types>',
        )
        workbook.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheets><sheet name="Statement" sheetId="1"/></sheets></workbook>',
        )
        workbook.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c></row></sheetData></worksheet>',
        )
    return out.getvalue()


REFUSED = [
    pytest.param(
        tiny_xlsx(),
        None,
        "This file is an Excel workbook (.xlsx) or another zipped file, not a CSV or OFX file. Open it in Excel",
        None,
        None,
        id="xlsx-renamed-csv",
    ),
    pytest.param(
        "statement_pdf_renamed.csv",
        None,
        "This file is a PDF, not a CSV or OFX file. Download the statement as a CSV or OFX file",
        None,
        None,
        id="pdf-renamed-csv",
    ),
    pytest.param(
        b"\x89PNG\r\n\x1a\n" + bytes(64),
        None,
        "This file is a picture (PNG), not a CSV or OFX file.",
        None,
        None,
        id="png-renamed-csv",
    ),
    pytest.param(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
        None,
        "This file is an older Excel workbook (.xls), not a CSV or OFX file.",
        None,
        None,
        id="xls-renamed-csv",
    ),
    pytest.param(
        b"Date,Description,Amount\n" + bytes(range(0, 32)) * 4,
        None,
        "This file is not a CSV or OFX file: it is not text.",
        None,
        None,
        id="other-binary-renamed-csv",
    ),
    pytest.param(
        "ofx_broken_header.ofx",
        None,
        "This OFX file could not be read: the header at the top of the file is missing or not right.",
        None,
        None,
        id="ofx-broken-header",
    ),
    pytest.param(
        "ofx_broken_body.ofx",
        None,
        "This OFX file could not be read: its contents are not in the OFX format.",
        None,
        None,
        id="ofx-broken-body",
    ),
    pytest.param(
        "ofx_no_amount.ofx",
        None,
        "This OFX file could not be read: transaction 2 in it has a part missing",
        None,
        None,
        id="ofx-transaction-without-amount",
    ),
    pytest.param(
        data("ofx1_sgml.ofx")[: data("ofx1_sgml.ofx").rindex(b"<STMTTRN>")],
        None,
        "This OFX file could not be read: it stops before its end, so some of it is missing.",
        None,
        None,
        id="ofx-cut-short",
    ),
    pytest.param(
        "ofx_dollars.ofx",
        None,
        "This statement is in USD, not pounds.",
        None,
        None,
        id="ofx-in-dollars",
    ),
    pytest.param(
        "bad_amount.csv",
        None,
        'Row 14, column "Amount": "12,3x" is not an amount of money.',
        14,
        "Amount",
        id="bad-amount-names-row-and-column",
    ),
    pytest.param(
        "bad_date.csv",
        None,
        'Row 3, column "Date": "31/02/2026" is not a date.',
        3,
        "Date",
        id="bad-date-names-row-and-column",
    ),
    pytest.param(
        "debit_and_credit_both.csv",
        None,
        'Row 3: "Money out" and "Money in" both have an amount.',
        3,
        "Money out",
        id="debit-and-credit-both-filled",
    ),
    pytest.param(
        "debit_and_credit_neither.csv",
        None,
        'Row 3: "Money out" and "Money in" are both empty.',
        3,
        "Money out",
        id="debit-and-credit-both-empty",
    ),
    pytest.param(
        "bank_id_reused.csv",
        None,
        'Row 3, column "Transaction ID": "RENT" is also the id of row 2, a different transaction.',
        3,
        "Transaction ID",
        id="bank-id-used-for-two-transactions",
    ),
    pytest.param(
        "unrecognised_headers.csv",
        None,
        "Choose which columns of the file hold the date, the description and the amount",
        None,
        None,
        id="columns-not-guessed-and-none-chosen",
    ),
    pytest.param(
        "semicolons.csv",
        ColumnMapping(date="Date", description="Description", amount="Value"),
        'The file has no column called "Value". Choose the column that holds the amount.',
        None,
        None,
        id="remembered-mapping-does-not-fit",
    ),
    pytest.param(
        b"Date,Description,Amount\n05/04/2026,X,\n",
        None,
        'Row 2, column "Amount" is empty.',
        2,
        "Amount",
        id="amount-empty",
    ),
    pytest.param(
        b"Date,Description,Amount\n,X,-1.00\n",
        None,
        'Row 2, column "Date" is empty.',
        2,
        "Date",
        id="date-empty",
    ),
    pytest.param(
        b"Date,Description,Amount\n05/04/2026,X,-12.345\n",
        None,
        'Row 2, column "Amount": "-12.345" is not an amount of money.',
        2,
        "Amount",
        id="amount-with-three-decimal-places",
    ),
    pytest.param(
        b"Date,Description,Amount\n05/04/2026,X,5000000.01\n",
        None,
        'Row 2, column "Amount": "5000000.01" is more than £5,000,000.00, the most one transaction can be.',
        2,
        "Amount",
        id="amount-over-the-most-one-transaction-can-be",
    ),
    pytest.param(
        b"Date,Description,Amount,Balance\n05/04/2026,X,-1.00,lots\n",
        None,
        'Row 2, column "Balance": "lots" is not an amount of money.',
        2,
        "Balance",
        id="balance-not-money",
    ),
    pytest.param(
        b"Date,Description,Amount\n",
        None,
        "There are no transactions in this file.",
        None,
        None,
        id="no-transactions",
    ),
    pytest.param(b"", None, "This file is empty.", None, None, id="empty-file"),
]


@pytest.mark.parametrize(("source", "mapping", "message", "line", "column"), REFUSED)
def test_it_refuses_each_bad_file_with_a_message_naming_where(source, mapping, message, line, column):
    content = data(source) if isinstance(source, str) else source
    with pytest.raises(StatementError) as refused:
        parse(content, "statement.csv", mapping)
    assert str(refused.value).startswith(message)
    assert (refused.value.line, refused.value.column) == (line, column)


@pytest.mark.parametrize("name", ["ofx_broken_header.ofx", "ofx_broken_body.ofx", "ofx_no_amount.ofx"])
def test_it_never_lets_ofxtools_errors_through(name):
    with pytest.raises(StatementError, match="^This OFX file could not be read: "):
        parse_ofx(data(name))


def test_it_refuses_a_20_mb_file_giving_the_limit_in_mb(settings):
    settings.PAYMENTS_MAX_UPLOAD_MB = 10
    big = (data("amounts.csv") + b"05/04/2026,padding,-1.00\n" * (20 * 1024 * 1024 // 25))[: 20 * 1024 * 1024]
    assert len(big) == 20 * 1024 * 1024
    with pytest.raises(StatementError) as refused:
        parse(big, "big.csv", None)
    assert str(refused.value) == (
        "The file is 20 MB. The most you can upload is 10 MB. "
        "Split the statement into shorter periods and upload each one."
    )


def test_it_reads_the_limit_from_settings_when_parse_is_called(settings):
    content = data("amounts.csv")
    settings.PAYMENTS_MAX_UPLOAD_MB = 1
    assert len(parse(content, "a.csv", None)) == 8
    with pytest.raises(StatementError, match=r"^The file is 1.1 MB. The most you can upload is 1 MB"):
        parse(content + b" " * (1024 * 1024), "a.csv", None)
    assert len(parse(content, "a.csv", None, max_bytes=len(content))) == 8
    with pytest.raises(StatementError, match="The most you can upload is"):
        parse(content, "a.csv", None, max_bytes=len(content) - 1)


def test_it_refuses_more_rows_than_max_rows(monkeypatch):
    monkeypatch.setattr(statements, "MAX_ROWS", 100)
    rows = "".join(f"05/04/2026,R{n},-1.00\n" for n in range(101))
    with pytest.raises(StatementError, match="^This file has more than 100 rows."):
        read_rows(("Date,Description,Amount\n" + rows).encode())
    assert len(read_rows(("Date,Description,Amount\n" + rows[: rows.rindex("05/04")]).encode()).rows) == 100


# Plan dates --------------------------------------------------------------------------------------------------------

PLAN_START = datetime.date(2026, 4, 1)
TODAY = datetime.date(2026, 12, 1)


def test_it_refuses_a_transaction_before_the_plan_started_naming_the_row():
    rows = parse(data("plan_dates.csv"), "plan_dates.csv", None)
    with pytest.raises(StatementError) as refused:
        check_dates(rows, not_before=PLAN_START, today=TODAY)
    assert str(refused.value).startswith("Row 2: the date 31 March 2026 is before the plan started on 1 April 2026.")
    assert refused.value.line == 2


def test_it_refuses_a_transaction_in_the_future_naming_the_row():
    rows = [row for row in parse(data("plan_dates.csv"), "plan_dates.csv", None) if row.line != 2]
    with pytest.raises(StatementError) as refused:
        check_dates(rows, not_before=PLAN_START, today=TODAY)
    assert str(refused.value).startswith("Row 5: the date 30 December 2026 is in the future.")


def test_it_refuses_the_day_after_today():
    with pytest.raises(StatementError, match="^Row 7: the date 2 December 2026 is in the future"):
        check_dates([Row(7, TODAY + datetime.timedelta(days=1), D("-1.00"), "X")], not_before=PLAN_START, today=TODAY)


def test_it_counts_the_other_rows_with_bad_dates():
    rows = [Row(n, datetime.date(2026, 3, n), D("-1.00"), "X") for n in (1, 2, 3)]
    with pytest.raises(StatementError, match=r"^Row 1: .*, and so are 2 other transactions\."):
        check_dates(rows, not_before=PLAN_START, today=TODAY)


def test_it_accepts_the_first_day_of_the_plan_and_today():
    rows = [Row(2, PLAN_START, D("-1.00"), "first day"), Row(3, TODAY, D("-1.00"), "today")]
    check_dates(rows, not_before=PLAN_START, today=TODAY)


def test_it_names_an_ofx_transaction_by_its_place_in_the_file():
    rows = parse(data("ofx1_sgml.ofx"), "s.ofx", None)
    with pytest.raises(StatementError, match="^Transaction 1: the date 3 April 2026 is before the plan started"):
        check_dates(rows, not_before=datetime.date(2026, 4, 4), today=TODAY)


# Telling what a file is, reading its table, guessing its columns --------------------------------------------------


@pytest.mark.parametrize(
    ("content", "file_name", "expected"),
    [
        (b"Date,Description,Amount\n", "s.csv", "csv"),
        (b"Date,Description,Amount\n", "s.CSV", "csv"),
        (b"\xef\xbb\xbfDate,Description\n", "s.csv", "csv"),
        (data("ofx1_sgml.ofx"), "s.csv", "ofx"),
        (data("ofx2_xml.ofx"), "s.qfx", "ofx"),
        (b"not really", "s.ofx", "ofx"),  # so the OFX reader says what is wrong with it
    ],
)
def test_it_tells_csv_from_ofx_by_content(content, file_name, expected):
    assert sniff_format(content, file_name) == expected


def test_read_table_gives_headers_and_cells():
    headers, rows = read_table(data("semicolons.csv"))
    assert headers == ["Date", "Description", "Amount", "Balance"]
    assert rows == [
        ["03/04/2026", "NHS NORTH ICB", "£1,200.00", "£1,200.00"],
        ["05/04/2026", "ACME CARE LTD, INVOICE 12", "-45.50", "£1,154.50"],
    ]


def test_read_table_leaves_out_blank_lines_and_rows_of_empty_cells():
    assert read_table(data("blank_lines.csv"))[1] == [
        ["03/04/2026", "NHS NORTH ICB", "1200.00"],
        ["05/04/2026", "ACME CARE LTD", "-45.50"],
    ]


def test_read_table_names_blank_and_repeated_columns_so_each_can_be_chosen():
    headers, _ = read_table(b"Date,,Amount,Amount\n05/04/2026,x,1,2\n")
    assert headers == ["Date", "Column 2", "Amount", "Amount (2)"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Date", "Description", "Amount"], ColumnMapping("Date", "Description", "Amount")),
        (
            [
                "Transaction Date",
                "Transaction Type",
                "Sort Code",
                "Account Number",
                "Transaction Description",
                "Debit Amount",
                "Credit Amount",
                "Balance",
            ],
            ColumnMapping(
                "Transaction Date",
                "Transaction Description",
                debit="Debit Amount",
                credit="Credit Amount",
                balance="Balance",
            ),
        ),
        (
            ["Date", "Type", "Description", "Paid out", "Paid in", "Balance"],
            ColumnMapping("Date", "Description", debit="Paid out", credit="Paid in", balance="Balance"),
        ),
        (
            ["Date", "Payee", "Money out (£)", "Money in (£)", "Transaction ID"],
            ColumnMapping("Date", "Payee", debit="Money out (£)", credit="Money in (£)", bank_id="Transaction ID"),
        ),
        (
            ["Posting Date", "Details", "Amount GBP", "Reference"],
            ColumnMapping("Posting Date", "Details", "Amount GBP"),
        ),
        (["Date", "Reference", "Value"], ColumnMapping("Date", "Reference", "Value")),
        (["Date", "Description"], None),
        (["When", "What", "How much"], None),
        (["Date", "Description", "Paid out"], None),
    ],
)
def test_it_guesses_common_column_names(headers, expected):
    assert guess_mapping(headers) == expected


# Column mappings ---------------------------------------------------------------------------------------------------


def test_a_mapping_survives_as_dict_and_from_dict():
    mapping = ColumnMapping("Date", "Payee", debit="Out", credit="In", balance="Bal", bank_id="Id", date_order="ymd")
    assert ColumnMapping.from_dict(mapping.as_dict()) == mapping
    assert mapping.as_dict()["debit"] == "Out"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ([], "could not be read"),
        ({"date": "Date", "description": "D", "amount": "A", "colour": "red"}, "could not be read"),
        ({"date": "Date", "description": "D", "amount": 3}, "could not be read"),
        ({"description": "D", "amount": "A"}, "Choose the columns that hold the date and the description"),
        ({"date": "Date", "description": "D"}, "Choose the column that holds the amount, or a money out"),
        ({"date": "Date", "description": "D", "debit": "Out"}, "Choose the column that holds the amount, or"),
        ({"date": "Date", "description": "D", "amount": "A", "debit": "Out", "credit": "In"}, "not both"),
        ({"date": "Date", "description": "D", "amount": "A", "date_order": "mdy"}, "start with the day or"),
        ({"date": "Date", "description": "Date", "amount": "A"}, 'The column "Date" is chosen for more than one'),
    ],
)
def test_from_dict_refuses_a_mapping_that_cannot_work(bad, message):
    with pytest.raises(StatementError, match=message):
        ColumnMapping.from_dict(bad)


def test_problems_names_each_chosen_column_the_file_lacks():
    mapping = ColumnMapping("Date", "Description", debit="Paid out", credit="Paid in", balance="Balance")
    assert mapping.problems(["Date", "Description", "Paid out", "Paid in", "Balance"]) == []
    assert mapping.problems(["Date", "Details", "Paid out", "Money in"]) == [
        'The file has no column called "Description". Choose the column that holds the description.',
        'The file has no column called "Paid in". Choose the column that holds money in.',
        'The file has no column called "Balance". Choose the column that holds the balance.',
    ]


# Amounts and dates -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£1,234.50", "1234.50"),
        ("1234.5", "1234.50"),
        ("(12.00)", "-12.00"),
        ("(£12.00)", "-12.00"),
        ("-12.00", "-12.00"),
        ("12.00-", "-12.00"),
        ("12.00 DR", "-12.00"),
        ("12.00DR", "-12.00"),
        ("12.00 dr", "-12.00"),
        ("12.00 CR", "12.00"),
        ("12.00 D", "-12.00"),
        ("12.00 C", "12.00"),
        ("-£7.25", "-7.25"),
        ("£-7.25", "-7.25"),
        ("\u22127.25", "-7.25"),
        ("+7.25", "7.25"),
        ("GBP 7.25", "7.25"),
        ("7.25 GBP", "7.25"),
        ("  1234.50\u00a0", "1234.50"),
        ("0.00", "0.00"),
        (".50", "0.50"),
    ],
)
def test_it_reads_amounts_written_the_ways_statements_write_them(text, expected):
    assert parse_amount(text) == D(expected)


@pytest.mark.parametrize(
    "text",
    [
        "12,3x",
        "",
        "£",
        "DR",
        "-",
        "()",
        "1.234",
        "1,23.00",
        "(-12.00)",
        "--5",
        "-12.00-",
        "-12.00 DR",
        "(12.00) DR",
        "$12.00",
        "€12.00",
        "12.00 XR",
        "NaN",
        "1e5",
        "١٢",
    ],
)
def test_it_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(
    "text",
    [
        "05/04/2026",
        "5/4/2026",
        "05-04-2026",
        "05.04.2026",
        "2026-04-05",
        "2026/04/05",
        "05 Apr 2026",
        "5 April 2026",
        "5th April 2026",
        "05-Apr-2026",
        "05-APR-26",
        "05Apr2026",
        "05/04/26",
        "5/4/26",
        "2026-04-05T10:15:00",
        "2026-04-05 10:15:00",
        "05/04/2026 10:15",
        "05/04/2026 10:15:00 PM",
    ],
)
def test_it_reads_dates_written_the_ways_statements_write_them(text):
    assert parse_date(text) == APRIL_5


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2026",
        "2026-13-01",
        "00/04/2026",
        "Apr 2026",
        "yesterday",
        "5 Aprl 2026",
        "05/04",
        "123/04/2026",
        "05/04/20266",
        "2026-04",
        "05/04-2026",
    ],
)
def test_it_refuses_what_is_not_a_date(text):
    with pytest.raises(ValueError):
        parse_date(text)


# Fingerprints ------------------------------------------------------------------------------------------------------


def test_the_same_file_read_twice_has_the_same_fingerprints():
    first = fingerprints(parse(data("debit_credit.csv"), "a.csv", None))
    again = fingerprints(parse(data("debit_credit.csv"), "a.csv", None))
    assert first == again
    assert len(set(first)) == len(first)


def test_a_bank_id_is_all_the_fingerprint_needs():
    row = Row(2, APRIL_5, D("-4.50"), "COFFEE", bank_id="TX-1")
    moved = Row(9, APRIL_5.replace(day=6), D("-5.00"), "COFFEE SHOP", bank_id="TX-1", running_balance=D("1"))
    assert fingerprint(row) == fingerprint(moved)
    assert fingerprint(row) != fingerprint(Row(2, APRIL_5, D("-4.50"), "COFFEE", bank_id="TX-2"))


def test_two_like_payments_without_ids_have_their_own_fingerprints_and_the_first_is_the_plain_one():
    rows = parse(data("two_coffees.csv"), "c.csv", None)
    first, second = fingerprints(rows)
    assert first == fingerprint(rows[0]) == fingerprint(rows[1])
    assert second != first
    # An overlapping statement holding only one of them finds the first one already seen.
    assert fingerprints(rows[1:]) == [first]


def test_the_line_a_row_is_on_is_not_part_of_its_fingerprint():
    assert fingerprint(Row(2, APRIL_5, D("-1.00"), "X")) == fingerprint(Row(40, APRIL_5, D("-1.00"), "X"))


# Properties --------------------------------------------------------------------------------------------------------

money = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False)


def styles(amount: Decimal) -> list[str]:
    """The ways statements write this amount."""
    size = abs(amount)
    plain, grouped = f"{size:.2f}", f"{size:,.2f}"
    if amount < 0:
        return [
            f"-{plain}",
            f"-£{grouped}",
            f"({grouped})",
            f"(£{grouped})",
            f"{plain}-",
            f"{grouped} DR",
            f"\u2212£{grouped}",
        ]
    return [plain, f"£{grouped}", f"{grouped} CR", f"+{plain}", f"{size.normalize():f}" if size else "0"]


@given(money)
@example(D("-1234.50"))
@example(D("0.01"))
def test_amounts_in_every_style_read_back_as_the_same_money(amount):
    for text in styles(amount):
        assert parse_amount(text) == amount, text


pound_texts = st.one_of(
    st.text(alphabet="0123456789,.£-+\u2212 ", max_size=16),
    money.map(lambda amount: f"{amount:,.2f}"),
    money.map(lambda amount: f"{amount:.2f}"),
    money.map(lambda amount: f"£{amount:,.2f}"),
    money.map(lambda amount: f"-£{abs(amount):,.2f}"),
    money.map(lambda amount: f"£-{abs(amount):,.2f}"),
)


def read_or_none(reader, text):
    try:
        return str(reader(text))
    except ValueError:
        return None


@given(pound_texts)
@example("-0.00")
@example("-£0.00")
@example("0,123.45")
@example("-£-1.00")
def test_the_quick_reading_of_plain_amounts_gives_what_phb_money_gives(text):
    assert read_or_none(statements._pounds, text) == read_or_none(parse_pounds, text)


@given(money.filter(bool), st.sampled_from([",", ";", "\t"]), st.sampled_from(["cp1252", "utf-8", "utf-8-sig"]))
@settings(max_examples=50)
def test_amounts_in_a_file_read_back_as_the_same_money(amount, delimiter, encoding):
    written = [text for text in styles(amount) if encoding != "cp1252" or "\u2212" not in text]
    lines = [delimiter.join(["Date", "Description", "Amount"])]
    lines += [delimiter.join(["05/04/2026", f"row {n}", f'"{text}"']) for n, text in enumerate(written)]
    rows = parse_csv("\r\n".join(lines).encode(encoding), ColumnMapping("Date", "Description", "Amount"))
    assert [row.amount for row in rows] == [amount] * len(written)


@given(money.filter(bool))
@settings(max_examples=50)
def test_debit_and_credit_columns_read_back_as_signed_money(amount):
    out, into = (f"{-amount:,.2f}", "") if amount < 0 else ("", f"{amount:,.2f}")
    content = f'Date,Description,Paid out,Paid in\n05/04/2026,X,"{out}","{into}"\n'.encode()
    assert parse(content, "s.csv", None)[0].amount == amount


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_dates_in_every_style_read_back_as_the_same_day(day):
    month = day.strftime("%b")
    for text in [
        day.strftime("%d/%m/%Y"),
        f"{day.day}/{day.month}/{day.year}",
        day.strftime("%d-%m-%Y"),
        day.strftime("%d.%m.%Y"),
        day.isoformat(),
        f"{day.day} {month} {day.year}",
        f"{day.day} {day.strftime('%B')} {day.year}",
        day.strftime("%d/%m/%y"),
        f"{day.isoformat()} 23:59:59",
    ]:
        assert parse_date(text) == day, text


descriptions = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda text: text.strip()
)
rows = st.builds(
    Row,
    line=st.integers(1, 10_000),
    on=st.dates(min_value=datetime.date(2020, 1, 1), max_value=datetime.date(2030, 12, 31)),
    amount=money,
    description=descriptions,
    running_balance=st.none() | money,
)


@given(rows, st.integers(1, 10_000))
def test_fingerprint_is_stable_whatever_the_line_or_the_spacing(row, line):
    spaced = Row(line, row.on, row.amount, "  " + row.description.replace(" ", "   \t") + " ", "", row.running_balance)
    assert fingerprint(row) == fingerprint(spaced)
    assert len(fingerprint(row)) == 64


@given(rows, rows)
def test_fingerprints_differ_when_the_transactions_differ(first, second):
    same = (
        first.on == second.on
        and first.amount == second.amount
        and " ".join(first.description.split()) == " ".join(second.description.split())
        and first.running_balance == second.running_balance
    )
    assert (fingerprint(first) == fingerprint(second)) == same


@given(rows, st.sampled_from(["on", "amount", "description", "running_balance"]))
def test_changing_any_one_part_changes_the_fingerprint(row, part):
    changed = {
        "on": {"on": row.on + datetime.timedelta(days=1)},
        "amount": {"amount": row.amount + D("0.01")},
        "description": {"description": row.description + " X"},
        "running_balance": {"running_balance": D("0.01") if row.running_balance is None else None},
    }[part]
    assert fingerprint(row) != fingerprint(Row(**{**row.__dict__, **changed}))


@given(st.binary(max_size=400), st.sampled_from(["s.csv", "s.ofx", "s.txt"]))
@settings(max_examples=200)
def test_any_bytes_give_rows_or_a_message_never_a_traceback(content, file_name):
    with contextlib.suppress(StatementError):
        parse(content, file_name, None, max_bytes=1000)


@given(st.text(max_size=300), st.sampled_from([b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>", b""]))
@settings(max_examples=200)
def test_any_text_after_an_ofx_header_gives_rows_or_a_message(text, head):
    with contextlib.suppress(StatementError):
        parse_ofx(head + text.encode())
