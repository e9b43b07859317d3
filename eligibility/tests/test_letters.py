"""The outcome letter says the outcome and the reason, and for a refusal how to ask again."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from eligibility import services
from eligibility.tests.factories import referral

pytestmark = pytest.mark.django_db


def letter_text(client, screening) -> str:
    response = client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_a_decline_letter_gives_the_reason_and_how_to_ask_again(client, alice, priya, jane):
    screening = referral(person=jane, coordinator=alice)
    services.screening_decide(
        screening=screening, approve=False, reason="Your needs are met by the services you have now.", acting_user=priya
    )
    client.force_login(alice)
    text = letter_text(client, screening)
    assert "Dear Jane Smith" in text
    assert "We have decided that you cannot have a personal health budget at the moment." in text
    assert "PHB team" not in text and "Not eligible:" not in text
    assert "Your needs are met by the services you have now." in text
    assert "If you disagree" in text
    assert "within 28 days" in text
    assert jane.nhs_number_display in text


def test_an_approval_letter_says_what_happens_next_and_not_how_to_appeal(client, alice, priya, jane):
    screening = referral(person=jane, coordinator=alice)
    services.screening_decide(
        screening=screening, approve=True, reason="A budget can meet these needs.", acting_user=priya
    )
    client.force_login(priya)
    text = letter_text(client, screening)
    assert "You can have a personal health budget." in text
    assert "A budget can meet these needs." in text
    assert "What happens next" in text
    assert "If you disagree" not in text


def test_a_waiting_referral_letter_says_the_team_will_decide(client, alice, jane):
    client.force_login(alice)
    text = letter_text(client, referral(person=jane, coordinator=alice))
    assert (
        "We have asked our personal health budget team to decide whether you can have a personal health budget" in text
    )
    assert "We will write to you again" in text
    assert "Referred for PHB team decision" not in text
