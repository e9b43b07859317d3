"""Every reason and next step the screening rules give has words for the person's letter, and the letter uses
them: "You get NHS Continuing Healthcare funding", never "Has NHS Continuing Healthcare funding". Staff pages keep
the rules' own words."""

import datetime
import io
import itertools
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from eligibility import services
from eligibility.letters import to_letter, wording_for
from eligibility.rules import (
    COHORT_OFFER,
    FUNDED_AT_HOME,
    NO_ROUTE,
    PACKAGE_WITH_BLOCK,
    WORDINGS,
    Cohort,
    Facts,
    Funding,
    InvalidFacts,
    Section117,
    screen,
)
from eligibility.tests.factories import referral

ON = datetime.date(2026, 6, 15)
# A cohort name with characters that mean something to a pattern or a format string.
ODD = "Frailty (over-65s) [pilot] {phase 2} \\ 50% + more?"


def every_screening():
    """Every combination of answers the rules can be given (one cohort of each kind), with what they say."""
    cohorts = [(), (Cohort("a", ODD),), (Cohort("b", ODD, needs_decision=True),), (Cohort("c", ODD, retired=True),)]
    for born, funding, inpatient, s117, wheelchair, package, block, cohort in itertools.product(
        (datetime.date(1960, 1, 1), datetime.date(2015, 1, 1)),
        Funding,
        (False, True),
        Section117,
        (False, True),
        (False, True),
        ((), ("District nursing", "Day centre (block contract)")),
        cohorts,
    ):
        facts = Facts(
            date_of_birth=born,
            funding=funding,
            hospital_inpatient=inpatient,
            section_117=s117,
            wheelchair=wheelchair,
            commissioned_package=package,
            block_contract_services=block if package else (),
            cohorts=cohort,
        )
        try:
            yield screen(facts, on=ON)
        except InvalidFacts:
            continue


def test_it_has_letter_wording_for_every_reason_and_next_step_the_rules_give():
    used = set()
    for result in every_screening():
        for text in result.reasons + result.next_steps:
            found = wording_for(text)
            assert found is not None, f"no letter wording for: {text}"
            used.add(found[0])
            letter = to_letter(text)
            assert re.search(r"\byour?\b", letter, re.IGNORECASE), f"not said to the person: {letter}"
    # Every wording is one the rules give: none is left over from a reason that no longer exists.
    assert used == set(WORDINGS)


def test_it_keeps_the_names_and_services_a_reason_was_written_with():
    assert (
        to_letter(COHORT_OFFER(cohort=ODD))
        == f"You are in a group of people we offer personal health budgets to: {ODD}."
    )
    services_text = "District nursing, Day centre (block contract)"
    assert to_letter(PACKAGE_WITH_BLOCK(services=services_text)).endswith(
        f"so they cannot be paid for again from a budget: {services_text}."
    )
    assert to_letter(FUNDED_AT_HOME(funded="NHS Continuing Healthcare")).startswith(
        "You get NHS Continuing Healthcare funding and you live in the community"
    )


def test_a_reason_from_an_older_wording_of_the_rules_is_still_given():
    assert to_letter("Was screened under the 2019 policy.") == "Was screened under the 2019 policy."


def test_the_staff_words_stay_as_the_rules_wrote_them():
    """Kept screenings hold these strings; changing them would leave old ones without letter wording."""
    assert FUNDED_AT_HOME(funded="NHS Continuing Healthcare") == (
        "Has NHS Continuing Healthcare funding and lives in the community."
    )
    assert NO_ROUTE().startswith("Does not have Continuing Healthcare")


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)


@pytest.mark.django_db
def test_the_letter_gives_the_reasons_to_the_person_and_the_staff_page_about_them(client, alice, jane):
    screening = services.screening_create(
        person=jane,
        screened_on=datetime.date(2026, 1, 5),
        funding="chc",
        hospital_inpatient=False,
        section_117="aftercare",
        wheelchair=False,
        commissioned_package=False,
        acting_user=alice,
    )
    client.force_login(alice)
    letter = pdf_text(client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk})))
    assert "You get NHS Continuing Healthcare funding and you live in the community" in letter
    assert "You get aftercare under section 117 of the Mental Health Act" in letter
    assert "Has NHS Continuing Healthcare funding" not in letter
    assert "Receives section 117" not in letter
    page = client.get(reverse("eligibility:detail", kwargs={"pk": screening.pk})).content.decode()
    assert "Has NHS Continuing Healthcare funding and lives in the community." in page


@pytest.mark.django_db
def test_a_refusal_gives_the_next_steps_to_the_person(client, alice, jane):
    screening = services.screening_create(
        person=jane,
        screened_on=datetime.date(2026, 1, 5),
        funding="chc",
        hospital_inpatient=True,
        section_117="none",
        wheelchair=False,
        commissioned_package=False,
        acting_user=alice,
    )
    client.force_login(alice)
    letter = pdf_text(client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk})))
    assert "you are staying in hospital" in letter
    assert "When you are home from hospital, ask your care coordinator to look again" in letter
    assert "You may be able to get a personal budget for social care from your local council." in letter
    assert "Screen again" not in letter and "their local council" not in letter


@pytest.mark.django_db
def test_a_referral_letter_has_no_codes_or_team_jargon(client, alice, jane):
    client.force_login(alice)
    letter = pdf_text(
        client.get(reverse("eligibility:letter", kwargs={"pk": referral(person=jane, coordinator=alice).pk}))
    )
    assert "The NHS pays for care that was arranged just for you" in letter
    for jargon in ("PHB", "IPC", "Referred for", "Eligible:", "block contract:", "commissioned"):
        assert jargon not in letter, jargon
