"""Before the second factor is given, the header offers only signing out: every other link would lead
straight back to the factor step."""

import pytest
from django.urls import reverse

from twofactor.tests.helpers import authenticator, sign_in

pytestmark = pytest.mark.django_db


def header_links(response) -> str:
    html = response.content.decode()
    return html[html.index('<header class="nhsuk-header"') : html.index("</header>")]


def test_before_the_factor_the_header_offers_only_signing_out(client, alice):
    authenticator(alice)
    sign_in(client, alice)
    header = header_links(client.get(reverse("twofactor:verify")))
    assert reverse("casework:caseload") not in header and reverse("twofactor:account") not in header
    assert reverse("audit:mine") not in header
    assert "Sign out" in header


def test_after_the_factor_the_header_has_the_service_menu(client, alice):
    client.force_login(alice)
    header = header_links(client.get(reverse("casework:caseload")))
    assert reverse("casework:caseload") in header and reverse("twofactor:account") in header


def test_a_patient_has_their_links_without_a_factor(client, pat):
    client.force_login(pat)
    header = header_links(client.get(reverse("audit:mine")))
    assert reverse("audit:mine") in header
