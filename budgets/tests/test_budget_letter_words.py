"""The indicative budget letter speaks to the person in plain English, whichever way the budget was worked out:
no "resource allocation", "RAS" or "costed" (issue 14's "Letters" and "Words"), and "you", never "the person".
(The screening letter's words: eligibility/tests/test_letter_wording.py; the decision letters:
tests/test_letters.py.)"""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from budgets import services
from budgets.letters import how_worked_out
from budgets.models import MethodChoice, SignOff

pytestmark = pytest.mark.django_db

# Team words (case as written: "phb" is in the team's e-mail address), and the person in the third person.
JARGON = re.compile(r"\b(?:RAS|PHB|IPC|CHC)\b|(?i:resource allocation|costed|tariff|\bthe person\b|\btheir\b)")


def letter_text(client, version) -> str:
    content = client.get(reverse("budgets:letter", kwargs={"pk": version.pk})).content
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("method", MethodChoice.values)
@pytest.mark.parametrize("adjustment", [Decimal("0"), Decimal("-100")])
def test_the_budget_letter_is_in_plain_english_to_the_person_whichever_method(
    client, alice, priya, tariff, with_services, method, adjustment
):
    version = services.budget_version_create(
        assessment=with_services,
        method=method,
        adjustment=adjustment,
        adjustment_reason="Some help now comes from a charity" if adjustment else "",
        council_share_means_tested=False,
        acting_user=alice,
    )
    if version.sign_off == SignOff.AWAITING:
        services.budget_version_sign_off(version=version, approve=True, note="", acting_user=priya)
    steps = how_worked_out(version)
    assert steps and all(re.search(r"\b(you|your|we)\b", step, re.I) for step in steps), steps
    client.force_login(alice)
    text = letter_text(client, version)
    assert text.count("Dear ") == 1 and "your personal health budget" in text
    assert all(" ".join(step.split()) in text for step in steps)
    # "indicative budget" is said once and explained where it is said.
    assert "We call this your indicative budget" in text
    assert not JARGON.findall(text), JARGON.findall(text)
