import datetime

import pytest

from portal.wording import duration_in_words


@pytest.mark.parametrize(
    "span, words",
    [
        (datetime.timedelta(minutes=1), "1 minute"),
        (datetime.timedelta(minutes=90), "90 minutes"),
        (datetime.timedelta(hours=1), "1 hour"),
        (datetime.timedelta(hours=24), "24 hours"),
        (datetime.timedelta(hours=72), "72 hours"),
        (datetime.timedelta(days=4), "4 days"),
        (datetime.timedelta(days=7), "1 week"),
        (datetime.timedelta(days=14), "2 weeks"),
        (datetime.timedelta(days=10), "10 days"),
        (datetime.timedelta(days=4, hours=6), "102 hours"),
    ],
)
def test_it_words_a_span_as_people_say_it(span, words):
    assert duration_in_words(span) == words


def test_it_refuses_a_span_that_is_not_positive():
    with pytest.raises(ValueError):
        duration_in_words(datetime.timedelta(0))
