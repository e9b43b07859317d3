"""How fast a statement is read: payments.statements.parse() on a 10,000-row CSV made in memory.

Only the reading is timed (decoding, finding the delimiter and the header, guessing the columns, reading each
date and amount) and the fingerprints worked out for it; nothing touches a database. The issue's target is a
10,000-row statement imported in under 2 s, so reading should take a small part of that.

Run: .venv/bin/python scripts/bench_statements.py
BENCH_ROWS changes the number of rows (default 10000); BENCH_REPEAT how many times it is read (default 5: the
best and the median wall-clock times are printed, and the best CPU time, which a busy machine changes less);
BENCH_STYLE=debit_credit uses money-out and money-in columns and a running balance instead of one signed amount
column. Not part of `make bench`.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from payments.statements import fingerprints, parse  # noqa: E402  (after the path is set)

ROWS = int(os.environ.get("BENCH_ROWS", "10000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
STYLE = os.environ.get("BENCH_STYLE", "amount")
PAYEES = ("CARD PAYMENT TO ACME CARE LTD ON {d}", "DD BRITISH GAS", "SO JANE SMITH PA", "Café Nero – coffee", "BOOTS")


def statement(rows: int, style: str) -> bytes:
    """A statement as Excel saves it on a UK computer: Windows-1252, CRLF, £ signs. Dates are ISO (2026-04-01):
    they take the same numeric path through parse_date as the day-first 01/04/2026 most banks write, and only
    phb.words formats a date (phb/tests/test_words.py)."""
    start = datetime.date(2026, 4, 1)
    if style == "debit_credit":
        lines = ["Date,Type,Description,Paid out,Paid in,Balance"]
    else:
        lines = ["Transaction Date,Description,Amount"]
    balance = 0
    for number in range(rows):
        day = start + datetime.timedelta(days=number % 365)
        pence = 100 + (number * 7919) % 99_900
        words = PAYEES[number % len(PAYEES)].format(d=day.strftime("%d/%m"))
        money_in = number % 10 == 0
        balance += pence if money_in else -pence
        if style == "debit_credit":
            out, into = ("", f"£{pence / 100:,.2f}") if money_in else (f"£{pence / 100:,.2f}", "")
            lines.append(f'{day.isoformat()},DEB,{words},"{out}","{into}","£{balance / 100:,.2f}"')
        else:
            amount = f"£{pence / 100:,.2f}" if money_in else f"(£{pence / 100:,.2f})"
            lines.append(f'{day.isoformat()},{words},"{amount}"')
    lines.append("Total,,,")
    lines.append("End of statement")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def main() -> None:
    data = statement(ROWS, STYLE)
    wall, cpu = [], []
    for _ in range(REPEAT):
        began, began_cpu = time.perf_counter(), time.process_time()
        rows = parse(data, "statement.csv", None, max_bytes=len(data))
        fingerprints(rows)
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    assert len(rows) == ROWS, f"read {len(rows)} rows, expected {ROWS}"
    best = min(wall)
    print(f"load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"statement: {ROWS:,} rows, {len(data) / 1024:,.0f} KB, columns: {STYLE}")
    print(
        f"parse + fingerprints: best {best:.3f} s ({ROWS / best:,.0f} rows/s), median {statistics.median(wall):.3f} s "
        f"over {REPEAT}; CPU time best {min(cpu):.3f} s (what the process itself used, less sensitive to load)"
    )


if __name__ == "__main__":
    main()
