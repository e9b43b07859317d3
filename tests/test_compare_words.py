"""Comparing two versions of a plan says what changed in words: each field by its label, each choice by its
label, the outcomes an item serves by their goals, money and dates as written everywhere else."""

import pytest

from tests import page_data as data
from tests.test_no_raw_codes import compare_every_kind_of_field, raw_words, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch):
    monkeypatch.setattr("careplans.approval.render_pdf", lambda template, context: data.STAND_IN_PDF)
    return data.World(team=north, coordinator=alice, approver=priya, lead=leo)


def test_the_comparison_says_each_change_in_words(client, w):
    visit = compare_every_kind_of_field(w, 2)
    client.force_login(visit.user)
    text = visible_text(client.get(visit.url).content.decode())
    for words in [
        "Part of life: was Social participation and relationships, now Mental health and wellbeing",
        "Target date: was 1 September 2026, now 1 October 2026",
        "Cost of one unit: was £10.00, now £12.50",
        "Quantity: was 1, now 2.5",
        "How often: was once, now a year",
        "How the money is managed: was Notional budget (the NHS arranges it), now Third-party budget",
        "Outcomes it helps with: was Outcome 2: get back to what I enjoy, now Outcome 1: get back to what I enjoy",
    ]:
        assert words in text
    assert not raw_words(text)
