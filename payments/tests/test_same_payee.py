"""When a description typed in by hand and a statement's description name the same payee (payments.matching.same_payee),
so that spend typed in by hand is known again on the statement: the first word that names the payee in either is a
word of the other. Table of named cases."""

import pytest

from payments.matching import same_payee

CASES = {
    "the bank's words round the payee": ("Leeds Swim Club", "CARD PAYMENT TO LEEDS SWIM CLUB ON 10/04", True),
    "more words typed in": ("Swimming at Leeds Swim Club", "LEEDS SWIM CLUB", True),
    "the payee's name first on the statement": ("Groceries from Tesco", "TESCO STORES 2041", True),
    "a personal assistant by name": ("PA wages for Sarah", "FPO SARAH SMITH REF MAY", True),
    "case and punctuation": ("st john's pharmacy", "ST JOHNS PHARMACY", True),
    "another payee": ("Leeds Swim Club", "TESCO STORES", False),
    "a shared word that is not the first": ("Acme Care", "BETA CARE LTD", False),
    "a title is not a name": ("Mr J Smith", "MR K JONES", False),
    "nothing in common": ("Swimming lessons", "LEISURE CENTRE", False),
}


@pytest.mark.parametrize("typed, bank, same", CASES.values(), ids=CASES.keys())
def test_it_tells_when_two_descriptions_name_the_same_payee(typed, bank, same):
    assert same_payee(typed, bank) is same
    assert same_payee(bank, typed) is same
