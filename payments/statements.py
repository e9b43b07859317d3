"""Reading statements: a CSV file from a bank, managed-account provider or prepaid card, or an OFX file, as Rows.

Pure functions over bytes and plain values: no database. The services (payments.statement_services) store what
these return; when any of them raises StatementError nothing is imported, and the message is shown to the person
who uploaded the file as it is (plain English, naming the row and column where it applies).

The rules decided here (the issue is silent on them):
- Text is UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark (Excel's "Unicode text"), or
  else Windows-1252, which is what Excel saves as "CSV" on a UK computer.
- The delimiter is whichever of comma, semicolon and tab splits the first lines into the same number of columns
  most often. The header row is the first row whose names we recognise (a date and a money column), or else the
  first row as wide as most rows: lines above it (an account name, a sort code) are left out. A blank column
  name becomes "Column 3"; a name used twice becomes "Paid in (2)", so each column can be chosen by name.
- Amounts: "£1,234.50", "1234.5", "-12.00", "(12.00)", "12.00-", "12.00 DR" are negative when they say so;
  "CR" is money in. In separate money-out and money-in columns the sign is taken from the column (a bank that
  writes money out as "-12.00" in its money-out column means £12.00 out). More than 2 decimal places is refused.
- Dates: 05/04/2026, 5/4/2026, 05-04-2026, 05.04.2026 (day first), 2026-04-05, "05 Apr 2026", "5 April 2026",
  "05-Apr-26", with or without a time after them. A 2-digit year is read with the mapping's date_order.
- Rows left out, not refused: blank rows, rows with all but one cell empty, rows that say "Total",
  "Opening balance", "Closing balance", "Balance brought forward", "End of statement" and the like where the
  date is not a date or there is no money in them, and rows whose amount is £0.00 (they move no money).
- Refused: any other row whose date or amount cannot be read; an amount above MAX_AMOUNT; a bank id longer than
  100 characters, or one used for two different transactions in the same file (it would hide one of them);
  more than MAX_ROWS rows; a file over the upload limit (settings.PAYMENTS_MAX_UPLOAD_MB).
- A description is collapsed to single spaces and cut to 300 characters; an empty one becomes "No description".
- OFX is read by ofxtools. The date is the day the bank wrote (DTPOSTED's first 8 digits), not that day moved to
  another time zone. The description is the payee's NAME, then MEMO when it adds something. A statement in a
  currency other than pounds is refused.
"""

import codecs
import csv
import datetime
import hashlib
import io
import re
from collections import Counter
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_UP, Decimal

from phb.money import MAX_AMOUNT, PENNY, parse_pounds, round_pounds
from phb.words import long_date

MAX_ROWS = 50_000
MAX_DESCRIPTION = 300  # payments.models.Transaction.description
MAX_BANK_ID = 100  # payments.models.Transaction.bank_id
MAX_BALANCE = Decimal("9999999999.99")  # numeric(12, 2): payments.models.Transaction.running_balance
NO_DESCRIPTION = "No description"
ZERO = Decimal("0.00")

CSV_HELP = 'Download the statement again as a CSV file, or save it from Excel as "CSV (Comma delimited)".'


class StatementError(ValueError):
    """A message in the NHS voice for the person uploading, naming the row (line number in the file) and column
    where it applies, e.g. 'Row 14, column "Amount": "12,3x" is not an amount of money.' Nothing is imported
    when one is raised. `line` and `column` say where, when it is about one place (for a page to point at)."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self):
        return self.message


# Column mapping ---------------------------------------------------------------------------------------------------

DATE_ORDERS = ("dmy", "ymd")


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns of a CSV statement hold what, by column name. Money is either one signed `amount` column, or
    `debit` (money out) and `credit` (money in) columns."""

    date: str
    description: str
    amount: str = ""  # one signed column, or
    debit: str = ""  # money out and
    credit: str = ""  # money in
    balance: str = ""  # running balance, optional
    bank_id: str = ""  # the bank's transaction id, optional
    date_order: str = "dmy"  # "dmy" (05/04/2026 is 5 April 2026) or "ymd"

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ColumnMapping":
        """A mapping from as_dict(); StatementError when it is not one (a remembered mapping that was changed)."""
        names = {field.name for field in fields(cls)}
        unreadable = StatementError("The columns chosen for this statement could not be read. Choose them again.")
        if not isinstance(data, dict) or not set(data) <= names:
            raise unreadable
        if not all(isinstance(value, str) for value in data.values()):
            raise unreadable
        if not data.get("date") or not data.get("description"):
            raise StatementError("Choose the columns that hold the date and the description.")
        mapping = cls(**{name: value.strip() for name, value in data.items()})
        found = mapping.shape_problems()
        if found:
            raise StatementError(" ".join(found))
        return mapping

    def chosen(self) -> dict[str, str]:
        """What each chosen column is for, in words, by column name."""
        roles = {
            "date": "the date",
            "description": "the description",
            "amount": "the amount",
            "debit": "money out",
            "credit": "money in",
            "balance": "the balance",
            "bank_id": "the transaction id",
        }
        return {getattr(self, name): words for name, words in roles.items() if getattr(self, name)}

    def shape_problems(self) -> list[str]:
        """What is wrong with the mapping whatever the file: [] when nothing is."""
        found = []
        if not self.date:
            found.append("Choose the column that holds the date.")
        if not self.description:
            found.append("Choose the column that holds the description.")
        if self.amount and (self.debit or self.credit):
            found.append("Choose either one amount column, or a money out column and a money in column, not both.")
        elif not self.amount and not (self.debit and self.credit):
            found.append("Choose the column that holds the amount, or a money out column and a money in column.")
        if self.date_order not in DATE_ORDERS:
            found.append("Choose whether dates start with the day or with the year.")
        used = [
            value
            for value in (self.date, self.description, self.amount, self.debit, self.credit, self.balance, self.bank_id)
            if value
        ]
        for name, count in Counter(used).items():
            if count > 1:
                found.append(f'The column "{name}" is chosen for more than one thing. Choose a column once.')
        return found

    def problems(self, headers: list[str]) -> list[str]:
        """Why this mapping does not fit a file with these column names ([] when it does)."""
        found = self.shape_problems()
        present = set(headers)
        for name, words in self.chosen().items():
            if name not in present:
                found.append(f'The file has no column called "{name}". Choose the column that holds {words}.')
        return found


# Rows -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One transaction read from a file. `place` says where it is for a message when a line number would not help
    (an OFX file's transactions: "Transaction 3"); otherwise messages say "Row {line}"."""

    line: int  # line number in the file (1 = first line), for messages
    on: datetime.date
    amount: Decimal  # signed: negative is money out of the account
    description: str
    bank_id: str = ""
    running_balance: Decimal | None = None
    place: str = ""

    def where(self) -> str:
        return self.place or f"Row {self.line}"


@dataclass(frozen=True)
class Table:
    """A CSV file's cells: its column names, the line its header was on, and each data row with its line number."""

    headers: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]


# Telling what a file is -------------------------------------------------------------------------------------------

_INSTEAD_CSV = 'Open it in Excel, choose "Save as" and pick "CSV (Comma delimited)", then upload the new file.'
_INSTEAD_DOWNLOAD = "Download the statement as a CSV or OFX file and upload that, or type the transactions in."
_SIGNATURES = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zipped file", _INSTEAD_CSV),
    (b"\xd0\xcf\x11\xe0", "an older Excel workbook (.xls)", _INSTEAD_CSV),
    (b"%PDF", "a PDF", _INSTEAD_DOWNLOAD),
    (b"\x89PNG", "a picture (PNG)", _INSTEAD_DOWNLOAD),
    (b"\xff\xd8\xff", "a picture (JPEG)", _INSTEAD_DOWNLOAD),
    (b"GIF8", "a picture (GIF)", _INSTEAD_DOWNLOAD),
    (b"{\\rtf", "a Word document (RTF)", _INSTEAD_DOWNLOAD),
)
_OFX_MARK = re.compile(rb"OFXHEADER|<\?OFX|<OFX>", re.IGNORECASE)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _not_a_statement(looks_like: str, instead: str) -> StatementError:
    return StatementError(f"This file is {looks_like}, not a CSV or OFX file. {instead}")


def sniff_format(data: bytes, file_name: str = "") -> str:
    """ "csv" or "ofx" from what the file holds (its name only decides for an OFX file too broken to tell).
    StatementError for an Excel workbook, PDF, picture or other binary file, whatever it is called."""
    head = data[:4096]
    for signature, looks_like, instead in _SIGNATURES:
        if head.startswith(signature):
            raise _not_a_statement(looks_like, instead)
    if _OFX_MARK.search(head) or file_name.lower().endswith((".ofx", ".qfx")):
        return "ofx"
    if head.startswith(_UTF16_BOMS):
        return "csv"
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    if b"\x00" in head or controls > len(head) // 100:
        raise StatementError(f"This file is not a CSV or OFX file: it is not text. {_INSTEAD_DOWNLOAD}")
    return "csv"


# CSV --------------------------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark is dropped), UTF-16 with a byte-order mark, or Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 leaves 5 bytes undefined; Latin-1 reads every byte, the same as 1252 for the letters.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")


_DELIMITERS = (",", ";", "\t")
_SAMPLE_LINES = 30


def _records(text: str, delimiter: str):
    """(first line number, cells) for each record, blank lines left out. A quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    last = 0
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as error:
        raise StatementError(
            f"Row {last + 1} could not be read: it is not in the CSV format ({error}). {CSV_HELP}", line=last + 1
        ) from None


def _width(cells: list[str]) -> int:
    """How many cells a row has, not counting empty ones at its end."""
    width = len(cells)
    while width and not cells[width - 1].strip():
        width -= 1
    return width


def _sniff_delimiter(text: str) -> str:
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        sample = []
        try:
            for number, (_, cells) in enumerate(_records(text, delimiter)):
                sample.append(_width(cells))
                if number >= _SAMPLE_LINES:
                    break
        except StatementError:
            continue
        if not sample:
            continue
        width, count = Counter(sample).most_common(1)[0]
        score = (count, width) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unique_headers(cells: list[str]) -> list[str]:
    headers, seen = [], Counter()
    for number, cell in enumerate(cells, start=1):
        name = " ".join(cell.split()) or f"Column {number}"
        seen[name] += 1
        headers.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return headers


def read_rows(data: bytes) -> Table:
    """The file's column names and data rows, each row with its line number in the file (module docstring)."""
    text = decode(data)
    delimiter = _sniff_delimiter(text)
    records = _records(text, delimiter)
    sample = []
    for record in records:
        sample.append(record)
        if len(sample) > _SAMPLE_LINES:
            break
    if not sample:
        raise StatementError("This file is empty. " + CSV_HELP)
    header_at = next((at for at, (_, cells) in enumerate(sample) if guess_mapping(_unique_headers(cells))), None)
    if header_at is None:
        widths = Counter(_width(cells) for _, cells in sample)
        usual = widths.most_common(1)[0][0]
        header_at = next(at for at, (_, cells) in enumerate(sample) if _width(cells) >= usual)
    header_line, header_cells = sample[header_at]
    headers = _unique_headers(header_cells[: max(_width(header_cells), 1)])
    rows = [(line, [cell.strip() for cell in cells]) for line, cells in sample[header_at + 1 :]]
    for line, cells in records:
        rows.append((line, [cell.strip() for cell in cells]))
        if len(rows) > MAX_ROWS:
            raise StatementError(
                f"This file has more than {MAX_ROWS:,} rows. Split the statement into shorter periods and upload "
                "each one."
            )
    return Table(headers, header_line, rows)


def read_table(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The file's column names and its data rows (each a list of cells); read_rows also gives line numbers."""
    table = read_rows(data)
    return table.headers, [cells for _, cells in table.rows]


# Guessing the columns ---------------------------------------------------------------------------------------------

# Names banks, managed-account providers and prepaid-card portals give their columns, most likely first,
# compared in lower case with punctuation and "(£)"/"GBP" taken out.
_GUESSES = {
    "date": (
        "date",
        "transaction date",
        "trans date",
        "posting date",
        "posted date",
        "date posted",
        "booking date",
        "completed date",
        "started date",
        "value date",
        "date of transaction",
        "payment date",
    ),
    "description": (
        "description",
        "transaction description",
        "details",
        "transaction details",
        "payee",
        "merchant",
        "merchant name",
        "name",
        "narrative",
        "particulars",
        "memo",
        "transaction",
        "reference",
    ),
    "amount": ("amount", "value", "transaction amount", "net amount", "amount gbp", "gbp amount", "billing amount"),
    "debit": ("debit", "debits", "paid out", "money out", "out", "withdrawals", "withdrawal", "debit amount", "spent"),
    "credit": ("credit", "credits", "paid in", "money in", "in", "deposits", "deposit", "credit amount", "received"),
    "balance": ("balance", "running balance", "closing balance", "account balance", "balance gbp"),
    # "Reference" is not here: a payment reference repeats ("RENT" every month), and the bank's id must not.
    "bank_id": ("transaction id", "transaction number", "transaction no", "unique id", "id", "fitid"),
}
_CURRENCY_WORDS = re.compile(r"\(\s*(?:£|gbp)\s*\)|£|\bgbp\b")
_PUNCTUATION = re.compile(r"[^\w\s]")


def _header_key(name: str) -> str:
    lowered = _CURRENCY_WORDS.sub(" ", name.lower())
    return " ".join(_PUNCTUATION.sub(" ", lowered).split())


def guess_mapping(headers: list[str]) -> ColumnMapping | None:
    """A mapping from common column names, or None when there is no date, description and money to be found."""
    keys = {}
    for header in headers:
        keys.setdefault(_header_key(header), header)
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for role, names in _GUESSES.items():
        for name in names:
            if name in keys and keys[name] not in taken:
                chosen[role] = keys[name]
                taken.add(keys[name])
                break
    if "date" not in chosen or "description" not in chosen:
        return None
    if "debit" in chosen and "credit" in chosen:
        chosen.pop("amount", None)
    elif "amount" in chosen:
        chosen.pop("debit", None)
        chosen.pop("credit", None)
    else:
        return None
    return ColumnMapping(**chosen)


# Amounts and dates ------------------------------------------------------------------------------------------------

_DR_CR = re.compile(r"^(?P<rest>.*?)\s*(?P<mark>DR|CR|D|C)\.?$", re.IGNORECASE)
_GBP = re.compile(r"^GBP\s*|\s*GBP$", re.IGNORECASE)


def parse_amount(text: str) -> Decimal:
    """A statement's amount as signed Decimal pounds: "£1,234.50", "(12.00)", "-12.00", "12.00-", "12.00 DR",
    "12.00 CR". ValueError when it is not an amount in pounds and pence."""
    plain = _PLAIN_POUNDS.fullmatch(text)
    if plain and not (plain[1] and plain[2]):  # "-12.50", "£1,234.50": what most cells hold, read as _pounds does
        amount = Decimal(plain[3].replace(",", ""))
        return -amount if amount and (plain[1] or plain[2]) else amount
    value = " ".join(text.replace("\u00a0", " ").split())
    negative = False
    value = _GBP.sub("", value)
    if value.startswith("(") and value.endswith(")"):
        value, negative = value[1:-1].strip(), True
    elif value.endswith("-") and len(value) > 1:
        value, negative = value[:-1].strip(), True
    else:
        mark = _DR_CR.match(value)
        if mark and mark["rest"]:
            value, negative = mark["rest"], mark["mark"].upper().startswith("D")
    if negative and value[:1] in ("-", "+", "\u2212", "(") or not value:
        raise ValueError("not an amount")
    amount = _pounds(_GBP.sub("", value))
    return -amount if negative else amount


_PLAIN_POUNDS = re.compile(r"(-?)£?(-?)((?:[0-9]{1,3}(?:,[0-9]{3}){1,3}|[0-9]{1,12})\.[0-9]{2})")


def _pounds(text: str) -> Decimal:
    """phb.money.parse_pounds(text), faster for the plain "1234.50", "-£1,234.50" most cells hold: that is
    already pounds and pence, so it is the Decimal it spells (a property test holds the two to the same answers).
    parse_pounds rounds through exact fractions, which made reading a 10,000-row statement take most of a
    second."""
    plain = _PLAIN_POUNDS.fullmatch(text)
    if plain and not (plain[1] and plain[2]):
        amount = Decimal(plain[3].replace(",", ""))
        return -amount if amount and (plain[1] or plain[2]) else amount
    return parse_pounds(text)


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_TIME = re.compile(r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AP]M)?(?:Z|[+-]\d{2}:?\d{2})?)$", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})\2(\d{1,4})$")
_WORDED_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s/-]*([A-Za-z]{3,9})\.?,?[\s/-]*(\d{2}|\d{4})$")


def _full_year(year: str) -> int:
    return int(year) + 2000 if len(year) == 2 else int(year)


def parse_date(text: str, date_order: str = "dmy") -> datetime.date:
    """A statement's date (module docstring). ValueError when it is not a date."""
    value = _TIME.sub("", text.strip())
    numeric = _NUMERIC_DATE.match(value)
    if numeric:
        first, _, middle, last = numeric.groups()
        if len(first) == 4 and len(last) <= 2:
            year, month, day = first, middle, last
        elif len(last) == 4 and len(first) <= 2:
            day, month, year = first, middle, last
        elif len(first) == 2 and len(last) == 2:
            year, month, day = (first, middle, last) if date_order == "ymd" else (last, middle, first)
        elif len(first) == 1 and len(last) == 2:
            day, month, year = first, middle, last
        else:
            raise ValueError("not a date")
        return datetime.date(_full_year(year), int(month), int(day))
    worded = _WORDED_DATE.match(value)
    if worded and worded[2].lower() in _MONTHS:
        return datetime.date(_full_year(worded[3]), _MONTHS[worded[2].lower()], int(worded[1]))
    raise ValueError("not a date")


# Reading the rows of a CSV ----------------------------------------------------------------------------------------

_TRAILER = re.compile(
    r"^(?:totals?\b|sub ?totals?\b|grand total|opening balance|closing balance|balance (?:brought|carried) "
    r"forward|balance b/?f|balance c/?f|brought forward|carried forward|end of (?:statement|report|file)|"
    r"statement (?:total|end)|number of transactions|no transactions)",
    re.IGNORECASE,
)


def _is_trailer(cells: list[str], dated_with_money: bool) -> bool:
    """A summary row to leave out: all but one cell empty, or saying what it is (a total, a balance carried
    forward) with no date or no money in it. A row with a date and money is a transaction, whatever it says
    ("TOTAL FITNESS GYM")."""
    filled = [cell for cell in cells if cell]
    if len(filled) <= 1:
        return True
    return not dated_with_money and any(_TRAILER.match(cell) for cell in filled)


def _quote(text: str) -> str:
    return f'"{text}"' if len(text) <= 40 else f'"{text[:37]}..."'


def _money(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _read_money(text: str, line: int, column: str) -> Decimal:
    try:
        amount = parse_amount(text)
    except ValueError:
        raise StatementError(
            f'Row {line}, column "{column}": {_quote(text)} is not an amount of money. '
            "Amounts need to look like 12.50 or -12.50.",
            line=line,
            column=column,
        ) from None
    if abs(amount) > MAX_AMOUNT:
        raise StatementError(
            f'Row {line}, column "{column}": {_quote(text)} is more than £{MAX_AMOUNT:,.2f}, '
            "the most one transaction can be.",
            line=line,
            column=column,
        )
    return amount


def _row_amount(cells: list[str], line: int, mapping: ColumnMapping, index: dict[str, int]) -> Decimal:
    if mapping.amount:
        text = _money(cells, index[mapping.amount])
        if not text:
            raise StatementError(
                f'Row {line}, column "{mapping.amount}" is empty. Every transaction needs an amount.',
                line=line,
                column=mapping.amount,
            )
        return _read_money(text, line, mapping.amount)
    out_text, in_text = _money(cells, index[mapping.debit]), _money(cells, index[mapping.credit])
    if not out_text and not in_text:
        raise StatementError(
            f'Row {line}: "{mapping.debit}" and "{mapping.credit}" are both empty. '
            "Every transaction needs an amount in one of them.",
            line=line,
            column=mapping.debit,
        )
    out = abs(_read_money(out_text, line, mapping.debit)) if out_text else ZERO
    into = abs(_read_money(in_text, line, mapping.credit)) if in_text else ZERO
    if out and into:
        raise StatementError(
            f'Row {line}: "{mapping.debit}" and "{mapping.credit}" both have an amount. '
            "A transaction is either money out or money in.",
            line=line,
            column=mapping.debit,
        )
    return into - out  # exact: both are pounds and pence


def parse_csv(data: bytes, mapping: ColumnMapping) -> list[Row]:
    """The transactions in a CSV statement, read with this mapping (module docstring for what is left out)."""
    return _table_rows(read_rows(data), mapping)


def _table_rows(table: Table, mapping: ColumnMapping) -> list[Row]:
    found = mapping.problems(table.headers)
    if found:
        raise StatementError(" ".join(found))
    index = {name: position for position, name in enumerate(table.headers)}
    column = {role: index[name] for role, name in asdict(mapping).items() if role != "date_order" and name}
    money_columns = [column[role] for role in ("amount", "debit", "credit") if role in column]
    rows = []
    first_seen: dict[str, Row] = {}
    for line, cells in table.rows:
        on_text = _money(cells, column["date"])
        try:
            on = parse_date(on_text, mapping.date_order) if on_text else None
        except ValueError:
            on = None
        if _is_trailer(cells, on is not None and any(_money(cells, at) for at in money_columns)):
            continue
        if not on_text:
            raise StatementError(
                f'Row {line}, column "{mapping.date}" is empty. Every transaction needs a date.',
                line=line,
                column=mapping.date,
            )
        if on is None:
            raise StatementError(
                f'Row {line}, column "{mapping.date}": {_quote(on_text)} is not a date. '
                "Dates need to look like 05/04/2026.",
                line=line,
                column=mapping.date,
            )
        amount = _row_amount(cells, line, mapping, index)
        if not amount:
            continue
        running_balance = None
        if mapping.balance and _money(cells, column["balance"]):
            running_balance = _read_balance(_money(cells, column["balance"]), line, mapping.balance)
        bank_id = _money(cells, column["bank_id"]) if mapping.bank_id else ""
        description = " ".join(_money(cells, column["description"]).split())[:MAX_DESCRIPTION] or NO_DESCRIPTION
        row = Row(line, on, amount, description, bank_id, running_balance)
        if bank_id:
            _check_bank_id(row, first_seen, mapping.bank_id)
        rows.append(row)
    return rows


def _read_balance(text: str, line: int, column: str) -> Decimal:
    try:
        value = parse_amount(text)
    except ValueError:
        value = None
    if value is None or abs(value) > MAX_BALANCE:
        raise StatementError(
            f'Row {line}, column "{column}": {_quote(text)} is not an amount of money. '
            "Balances need to look like 1234.50 or -12.50.",
            line=line,
            column=column,
        )
    return value


def _check_bank_id(row: Row, first_seen: dict[str, Row], column: str) -> None:
    if len(row.bank_id) > MAX_BANK_ID:
        raise StatementError(
            f'Row {row.line}, column "{column}": the transaction id is longer than {MAX_BANK_ID} characters. '
            "Choose another column for the transaction id, or none.",
            line=row.line,
            column=column,
        )
    earlier = first_seen.setdefault(row.bank_id, row)
    if (earlier.on, earlier.amount, earlier.description) != (row.on, row.amount, row.description):
        raise StatementError(
            f'Row {row.line}, column "{column}": {_quote(row.bank_id)} is also the id of row {earlier.line}, '
            "a different transaction. Choose another column for the transaction id, or none.",
            line=row.line,
            column=column,
        )


# OFX --------------------------------------------------------------------------------------------------------------

_OFX_HELP = "Download the statement from the bank again, or download it as a CSV file."
_STMTTRN = re.compile(rb"<STMTTRN>", re.IGNORECASE)
_OFX_END = re.compile(rb"</OFX>", re.IGNORECASE)


def _ofx_unreadable(reason: str) -> StatementError:
    return StatementError(f"This OFX file could not be read: {reason}. {_OFX_HELP}")


def parse_ofx(data: bytes) -> list[Row]:
    """The transactions in an OFX file (version 1, SGML, or 2, XML), read by ofxtools. FITID becomes bank_id."""
    from ofxtools.header import OFXHeaderError
    from ofxtools.models.base import Aggregate
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
    except OFXHeaderError:
        raise _ofx_unreadable("the header at the top of the file is missing or not right") from None
    except Exception:  # ofxtools raises many kinds for a broken body: none of them is for the person to see
        raise _ofx_unreadable("its contents are not in the OFX format") from None
    root = tree.getroot()
    if root is None or root.tag != "OFX":
        raise _ofx_unreadable("its contents are not in the OFX format")
    if not _OFX_END.search(data[-4096:]):
        # ofxtools reads a file cut short without complaint: it would bring some of the transactions, not all.
        raise _ofx_unreadable("it stops before its end, so some of it is missing")
    for currency in root.iter("CURDEF"):
        if (currency.text or "").strip().upper() != "GBP":
            raise StatementError(
                f"This statement is in {(currency.text or '').strip() or 'another currency'}, not pounds. "
                "Only statements of an account in pounds can be added."
            )
    lines = [data.count(b"\n", 0, match.start()) + 1 for match in _STMTTRN.finditer(data)]
    rows = []
    first_seen: dict[str, Row] = {}
    for number, element in enumerate(root.iter("STMTTRN"), start=1):
        place = f"Transaction {number}"
        try:
            posted = (element.findtext("DTPOSTED") or "").strip()
            on = datetime.date(int(posted[0:4]), int(posted[4:6]), int(posted[6:8]))
            transaction = Aggregate.from_etree(element)
        except Exception:
            raise _ofx_unreadable(
                f"transaction {number} in it has a part missing, or a date or amount that is not right"
            ) from None
        amount = transaction.trnamt
        if round_pounds(amount) != amount or abs(amount) > MAX_AMOUNT:
            raise StatementError(
                f"{place} in the file: {amount} is not an amount of money that can be added (more than 2 decimal "
                f"places, or more than £{MAX_AMOUNT:,.2f}).",
                line=lines[number - 1] if number <= len(lines) else None,
            )
        if not amount:
            continue
        name = transaction.name or (transaction.payee.name if transaction.payee is not None else "") or ""
        memo = transaction.memo or ""
        words = " ".join(name.split())
        if memo and " ".join(memo.split()).upper() not in words.upper():
            words = f"{words} {' '.join(memo.split())}".strip()
        row = Row(
            line=lines[number - 1] if number <= len(lines) else 0,
            on=on,
            amount=round_pounds(amount),
            description=words[:MAX_DESCRIPTION] or NO_DESCRIPTION,
            bank_id=(transaction.fitid or "").strip(),
            place=place,
        )
        if row.bank_id:
            _check_ofx_id(row, first_seen)
        rows.append(row)
    return rows


def _check_ofx_id(row: Row, first_seen: dict[str, Row]) -> None:
    if len(row.bank_id) > MAX_BANK_ID:
        raise _ofx_unreadable(f"{row.place.lower()} has an id longer than {MAX_BANK_ID} characters")
    earlier = first_seen.setdefault(row.bank_id, row)
    if (earlier.on, earlier.amount, earlier.description) != (row.on, row.amount, row.description):
        raise _ofx_unreadable(f"{row.place.lower()} has the same id as {earlier.place.lower()}, a different one")


# The whole file ---------------------------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    from django.conf import settings

    return settings.PAYMENTS_MAX_UPLOAD_MB * 1024 * 1024


def parse(
    data: bytes,
    file_name: str,
    mapping: ColumnMapping | None,
    *,
    max_bytes: int | None = None,
    table: Table | None = None,
) -> list[Row]:
    """Every transaction in an uploaded statement, or StatementError saying why none can be added.

    A CSV file needs a mapping: the one given, or else one guessed from its column names. max_bytes defaults to
    settings.PAYMENTS_MAX_UPLOAD_MB. table: read_rows(data) when the caller has read it already (to choose the
    mapping), so a CSV file is not read twice."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if len(data) > limit:
        raise StatementError(
            f"The file is {_megabytes(len(data))}. The most you can upload is {_megabytes(limit)}. "
            "Split the statement into shorter periods and upload each one."
        )
    if sniff_format(data, file_name) == "ofx":
        rows = parse_ofx(data)
    else:
        if table is None:
            table = read_rows(data)
        if mapping is None:
            mapping = guess_mapping(table.headers)
        if mapping is None:
            raise StatementError(
                "Choose which columns of the file hold the date, the description and the amount: "
                "we could not tell from their names."
            )
        rows = _table_rows(table, mapping)
    if not rows:
        raise StatementError("There are no transactions in this file. Check it is the right statement.")
    return rows


def _megabytes(size: int) -> str:
    """A size in MB to one decimal place, rounded up (a file just over 10 MB is "10.1 MB", never "10 MB"), without
    ".0": "20 MB", "10.5 MB"."""
    tenths = (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1"), rounding=ROUND_UP)
    return f"{tenths.normalize() if tenths == tenths.to_integral_value() else tenths:f} MB"


# Seen before, and dates -------------------------------------------------------------------------------------------


def _canonical(amount: Decimal) -> str:
    """An amount as text the same however it was written: 12.5 and 12.50 are "12.50". Not rounded: an amount
    in fractions of a penny (never read from a file) keeps them."""
    pence = amount.quantize(PENNY)
    return str(pence if pence == amount else amount.normalize())


def fingerprint(row: Row) -> str:
    """How a transaction is known when it comes again (another upload of the same or an overlapping statement):
    sha256 of the bank's id when there is one, otherwise of the date, amount, description (spaces collapsed, case
    kept) and running balance."""
    if row.bank_id:
        key = "id:" + row.bank_id
    else:
        balance = "" if row.running_balance is None else _canonical(row.running_balance)
        key = "|".join(("row", row.on.isoformat(), _canonical(row.amount), " ".join(row.description.split()), balance))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def fingerprints(rows: list[Row]) -> list[str]:
    """fingerprint() of each row, except that the second and later of identical rows without a bank id or running
    balance in one file (two £4.50 coffees in the same shop on the same day) get their own, so neither is taken
    for the other. The first of them is fingerprint(row), so importing the file again, or an overlapping
    statement holding the same rows, still adds nothing."""
    seen: Counter[str] = Counter()
    found = []
    for row in rows:
        plain = fingerprint(row)
        seen[plain] += 1
        if seen[plain] == 1:
            found.append(plain)
        else:
            found.append(hashlib.sha256(f"{plain}#{seen[plain]}".encode()).hexdigest())
    return found


def check_dates(rows: list[Row], *, not_before: datetime.date, today: datetime.date) -> None:
    """StatementError naming the first row dated before the plan started or after today (and how many more)."""
    early = [row for row in rows if row.on < not_before]
    late = [row for row in rows if row.on > today]
    if early:
        row = early[0]
        raise StatementError(
            f"{row.where()}: the date {long_date(row.on)} is before the plan started on {long_date(not_before)}"
            f"{_more(early)}. Take out the transactions from before the plan started, then upload the file again.",
            line=row.line,
        )
    if late:
        row = late[0]
        raise StatementError(
            f"{row.where()}: the date {long_date(row.on)} is in the future{_more(late)}. "
            "Check the dates in the file, then upload it again.",
            line=row.line,
        )


def _more(rows: list[Row]) -> str:
    others = len(rows) - 1
    if not others:
        return ""
    return f", and so {'is 1 other transaction' if others == 1 else f'are {others} other transactions'}"
