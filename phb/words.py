"""Dates, times and labels as people read them, written once for every page, e-mail, letter and message.

NHS style (service-manual.nhs.uk/content/numbers-measurements-dates-time): "23 November 2026",
"6:24pm", "9am", "midday", "midnight"; a date with a time is "23 November 2026 at 6:24pm". Templates use
the filters of the same names in phb/templatetags/phb.py; Python text (messages, e-mails, audit summaries)
calls these functions. Machine formats (ISO dates in CSV files and file names) are not for reading and
stay as they are.
"""

import datetime

from django.utils import timezone

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _local(value):
    """An aware date and time in the service's time zone (Europe/London); dates and naive values as given."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def long_date(value) -> str:
    """23 November 2026 (a date, or the local date of a date and time); "" for None."""
    if value in (None, ""):
        return ""
    value = _local(value)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def time_of_day(value) -> str:
    """6:24pm, 9am, midday, midnight (a time, or the local time of a date and time); "" for None."""
    if value in (None, ""):
        return ""
    value = _local(value)
    hour, minute = value.hour, value.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "midday"
    clock = str(hour % 12 or 12) + (f":{minute:02d}" if minute else "")
    return clock + ("am" if hour < 12 else "pm")


def date_and_time(value) -> str:
    """23 November 2026 at 6:24pm; "" for None."""
    if value in (None, ""):
        return ""
    return f"{long_date(value)} at {time_of_day(value)}"


def lower_first(text) -> str:
    """A label in the middle of a sentence: "Submitted to the PHB team" becomes "submitted to the PHB team".
    Only the first letter changes, and not when the first word is an abbreviation ("NHS block contract",
    "GP"): lower-casing a whole label would write "phb team" and "nhs"."""
    text = str(text or "")
    first_word = text.split(" ", 1)[0]
    if len(first_word) > 1 and first_word[:2].isupper():
        return text
    return text[:1].lower() + text[1:]
