"""phb.db.CountUpTo and Tally: a count that stops past its cap and says so ("99+")."""

import pytest

from people.models import User
from people.tests.factories import UserFactory
from phb.db import TALLY_UP_TO, CountUpTo, Tally

pytestmark = pytest.mark.django_db


def test_a_count_stops_one_past_its_cap_and_says_so():
    for k in range(4):
        UserFactory(username=f"tally{k}")
    many = User.objects.filter(username__startswith="tally")
    counted = User.objects.filter(pk=many.first().pk).values(n=CountUpTo(many, 2), all=CountUpTo(many)).get()
    assert counted == {"n": 3, "all": 4}
    assert (str(Tally(counted["n"], 2)), str(Tally(counted["all"]))) == ("2+", "4")
    assert str(Tally(TALLY_UP_TO + 1)) == "99+" and str(Tally(TALLY_UP_TO)) == "99"
    assert not Tally(0) and Tally(1)
