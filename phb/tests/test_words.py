"""Dates and times are written one way (NHS style), and labels keep their abbreviations mid-sentence."""

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from phb import words

LONDON = ZoneInfo("Europe/London")
PROJECT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime.time(18, 24), "6:24pm"),
        (datetime.time(6, 24), "6:24am"),
        (datetime.time(9, 0), "9am"),
        (datetime.time(12, 0), "midday"),
        (datetime.time(12, 30), "12:30pm"),
        (datetime.time(0, 0), "midnight"),
        (datetime.time(0, 5), "12:05am"),
        (datetime.time(23, 59), "11:59pm"),
    ],
)
def test_it_writes_times_as_the_nhs_style_guide_does(at, expected):
    assert words.time_of_day(at) == expected


def test_it_writes_a_date_and_time_in_london_time_whatever_zone_it_was_stored_in():
    # 18:24 UTC in summer is 7:24pm in London; the date can change too.
    summer = datetime.datetime(2026, 7, 1, 18, 24, tzinfo=datetime.UTC)
    assert words.date_and_time(summer) == "1 July 2026 at 7:24pm"
    late = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    assert words.long_date(late) == "1 July 2026"
    assert words.date_and_time(datetime.datetime(2026, 11, 23, 18, 24, tzinfo=LONDON)) == "23 November 2026 at 6:24pm"


def test_it_writes_dates_with_the_day_unpadded_and_the_month_in_full():
    assert words.long_date(datetime.date(2026, 11, 3)) == "3 November 2026"
    assert words.long_date(None) == "" and words.date_and_time(None) == "" and words.time_of_day(None) == ""


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Submitted to the PHB team", "submitted to the PHB team"),
        ("NHS block contract", "NHS block contract"),
        ("GP", "GP"),
        ("Deputy appointed by the Court of Protection", "deputy appointed by the Court of Protection"),
        ("", ""),
    ],
)
def test_lower_first_changes_only_the_first_letter_and_never_an_abbreviation(label, expected):
    assert words.lower_first(label) == expected


def test_templates_have_the_filters_without_loading_anything():
    when = datetime.datetime(2026, 11, 23, 18, 24, tzinfo=LONDON)
    rendered = Template(
        "{{ d|long_date }}|{{ d|time_of_day }}|{{ d|date_and_time }}|{{ s|lower_first }}|{{ d.date }}"
    ).render(Context({"d": when, "s": "Submitted to the PHB team"}))
    assert rendered == "23 November 2026|6:24pm|23 November 2026 at 6:24pm|submitted to the PHB team|23 November 2026"


# Where a date or time could be written another way. Machine formats (file names, CSV, the admin's
# one-line descriptions) are ISO on purpose and are not written with %B or Django's date filter.
AD_HOC = [
    (re.compile(r"\|\s*(date|time)\s*:"), "templates", "*.html"),
    (re.compile(r"\|\s*(date|time)\s*:"), "templates", "*.txt"),
    (re.compile(r"%-?[dIHMp]\b.*%[BbYp]|%[Bb]|%-I|%p"), ".", "*.py"),
]


def test_no_template_or_module_formats_a_date_or_time_its_own_way():
    found = []
    for pattern, root, glob in AD_HOC:
        for path in (PROJECT / root).rglob(glob):
            relative = path.relative_to(PROJECT)
            if relative.parts[0] in {".venv", "node_modules", "static", "staticfiles", "var"}:
                continue
            if "tests" in relative.parts or relative == Path("phb/words.py") or "migrations" in relative.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line):
                    found.append(f"{relative}:{number}: {line.strip()[:120]}")
    assert not found, "Use phb.words (|long_date, |time_of_day, |date_and_time) instead:\n" + "\n".join(found)
