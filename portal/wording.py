"""Plain English for the portal's texts, built from the values they describe."""

import datetime

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)


def _count(number: int, unit: str) -> str:
    return f"{number:,} {unit}{'' if number == 1 else 's'}"


def duration_in_words(span: datetime.timedelta) -> str:
    """A span of time as people say it: "30 minutes", "72 hours", "5 days", "2 weeks".

    Up to 3 days a deadline reads best in hours (people count the hours from the e-mail); longer
    spans in whole weeks or days. Anything that is not a whole unit is given in minutes, so the
    words never round a deadline up.
    """
    if span <= datetime.timedelta(0):
        raise ValueError("A duration to put in words must be positive")
    if span > 3 * DAY and span % WEEK == datetime.timedelta(0):
        return _count(span // WEEK, "week")
    if span > 3 * DAY and span % DAY == datetime.timedelta(0):
        return _count(span // DAY, "day")
    if span % HOUR == datetime.timedelta(0):
        return _count(span // HOUR, "hour")
    return _count(max(span // MINUTE, 1), "minute")
