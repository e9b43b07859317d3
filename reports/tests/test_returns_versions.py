"""The NHS England quarterly return for plans changed before or on the day they start, each test with its own
people (test_returns.py's tests share one data set, built once for that module).

Columns in the expected figures are (notional, third party, direct payment, mixed).
"""

import pytest

from careplans.models import Status
from reports.quarters import Quarter
from reports.returns import Category, quarterly_return

from .conftest import D, change, end, person, phb, screen
from .test_returns import NONE, Q2, TODAY, figures


def test_a_version_replaced_before_it_started_never_counts(north, alice, priya):
    ola = person("Ola Owen", north, alice)
    screen(ola, alice, funding="chc")
    first = phb(ola, coordinator=alice, approver=priya, start=D(2026, 4, 1))
    waiting = change(first, coordinator=alice, approver=priya, start=D(2027, 1, 4), add=("direct_payment",))
    later = change(waiting, coordinator=alice, approver=priya, start=D(2027, 2, 1), add=("third_party",))
    waiting.refresh_from_db()
    assert (waiting.status, later.status) == (Status.SUPERSEDED, Status.APPROVED)
    q4 = Quarter(2026, 4)
    # On 20 January 2027 the first version (notional) is still in force: the one replaced before its start on
    # 4 January never was.
    assert figures(quarterly_return(q4, today=D(2027, 1, 20)), Category.CHC)["live"] == (1, 0, 0, 0)
    # From 1 February the latest version is in force (notional, direct payment and third party: mixed).
    assert figures(quarterly_return(q4, today=D(2027, 3, 31)), Category.CHC)["live"] == (0, 0, 0, 1)


def test_a_replaced_version_stops_on_the_day_the_newer_one_starts_even_when_that_one_ends_at_once(north, alice, priya):
    pia = person("Pia Price", north, alice)
    screen(pia, alice, funding="chc")
    first = phb(pia, coordinator=alice, approver=priya, start=D(2026, 4, 1))
    newer = change(first, coordinator=alice, approver=priya, start=D(2026, 8, 1), add=("direct_payment",))
    end(newer, alice, on=D(2026, 8, 1))  # ended from the day it started: never in force
    # In force from 1 April to 31 July as the first version (notional), and not after.
    assert figures(quarterly_return(Q2, today=TODAY), Category.CHC) == {
        "in_quarter": (1, 0, 0, 0),
        "year_to_date": (1, 0, 0, 0),
        "live": NONE,
    }


def test_a_quarter_that_has_not_started_is_refused_in_plain_words(db):
    with pytest.raises(ValueError, match="has not started yet"):
        quarterly_return(Quarter(2027, 1), today=TODAY)
