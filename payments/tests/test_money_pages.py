"""The staff page of a plan's money: who may open it (the person's care team and the PHB team; a 404 for
everyone else, audited), every view recorded, the figures, flags, charts and tables it shows, plain words and
no stored codes, and the same number of queries for 3 transactions or 30.

Opened on 30 June 2026, over the schedule of test_selectors.py (£560.00 every 4 weeks from 1 April 2026: £2,240.00
paid in by then)."""

import datetime
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from payments.money_views import link_if_built
from payments.tests.test_selectors import REFUND, SPEND, item_key, money_moved, with_schedule
from people.tests.factories import UserFactory
from phb.models import AuditAction, AuditEvent
from phb.roles import Role

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@pytest.fixture
def on_30_june():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=ZoneInfo("Europe/London"))):
        yield


@pytest.fixture
def paid(on_30_june, active, alice):
    version = with_schedule(active)
    pa = item_key(version)
    money_moved(
        version.plan,
        alice,
        ("2026-04-10", "300.00", SPEND, pa),
        ("2026-05-15", "200.00", SPEND, None),
        ("2026-05-20", "50.00", REFUND, pa),
        ("2026-06-01", "40.00", SPEND, None, True),
    )
    return version


def url(version) -> str:
    return reverse("payments:money", kwargs={"plan_id": version.plan_id})


class Visible(HTMLParser):
    """The words a person sees or hears: text, never attributes (ids and classes belong there)."""

    def __init__(self):
        super().__init__()
        self.words = []

    def handle_data(self, data):
        self.words.append(data)


def visible(response) -> str:
    parser = Visible()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.words).split())


def opened(client, user, version):
    client.force_login(user)
    return client.get(url(version))


def test_the_care_team_sees_the_money_with_its_flags_charts_and_items(client, paid, alice):
    response = opened(client, alice, paid)
    assert response.status_code == 200
    text = visible(response)
    for words in (
        "Paid into the account £2,240.00",
        "Spent £540.00",
        "Refunds £50.00",
        "Balance in the account £1,750.00",
        "Contingency allowance £560.00 4 weeks of payments of £140.00 a week",
        "Surplus above the contingency allowance £1,190.00",
        "Spending not matched to an item yet £200.00",
        "Spending not in the plan £40.00",
        "Still to be paid in this plan year £5,060.00",
        "Money is building up The account holds £1,750.00",
        "Spending not in the plan £40.00 was spent on things not in the plan (1 payment).",
        "A statement is overdue The statement for the period ending 26 May 2026 has not arrived.",
    ):
        assert words in text, words
    html = response.content.decode()
    assert 'data-testid="money-spending-svg"' in html and 'data-testid="money-items-svg"' in html
    assert html.count("Show the figures as a table") == 2
    assert "£1,750.00 left; at this rate" in text
    assert "Item Personal assistant How the money is managed Direct payment Planned £1,560.00 Spent £250.00" in text
    assert "£1,310.00 less than planned" in text
    assert reverse("payments:schedule", kwargs={"plan_id": paid.plan_id}) in html
    statements = link_if_built("payments:statements", plan_id=paid.plan_id)
    assert ('data-testid="statements-link"' in html) == bool(statements)


def test_every_chart_on_the_page_is_well_formed_svg(client, paid, alice):
    html = opened(client, alice, paid).content.decode()
    pictures = re.findall(r"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=.*?</svg>", html, re.S)
    assert len(pictures) == 2
    for svg in pictures:
        assert ET.fromstring(svg).get("role") == "img"  # noqa: S314 - our own page


def test_the_phb_team_sees_any_plans_money(client, paid, priya, leo):
    assert opened(client, priya, paid).status_code == 200
    assert opened(client, leo, paid).status_code == 200


def test_every_view_is_audited_with_the_person(client, paid, alice):
    opened(client, alice, paid)
    event = AuditEvent.objects.get(action=AuditAction.VIEW, actor=alice)
    assert event.summary == "Viewed the plan's money"
    assert event.person_id == paid.plan.person_id and event.object_id == str(paid.plan_id)


@pytest.mark.parametrize("who", ["charlie", "outsider", "pat"])
def test_another_team_an_outsider_and_a_patient_get_a_404_that_is_audited(client, paid, charlie, pat, who):
    user = {"charlie": charlie, "pat": pat}.get(who) or UserFactory(username="nobody", role=Role.COORDINATOR)
    response = opened(client, user, paid)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.ACCESS_REFUSED).count() == 1
    assert not AuditEvent.objects.filter(actor=user, action=AuditAction.VIEW).exists()


def test_an_unknown_plan_is_a_404(client, paid, alice):
    client.force_login(alice)
    assert client.get(reverse("payments:money", kwargs={"plan_id": paid.pk})).status_code == 404  # a version's id


def test_the_page_shows_words_not_stored_codes_or_ids(client, paid, alice):
    text = visible(opened(client, alice, paid))
    assert not UUID.search(text)
    assert not re.search(r"\b\w+_\w+\b", text), re.search(r"\b\w+_\w+\b", text)
    for code in ("direct_payment", "third_party", "payment_in", "not_in_plan", "statement_overdue", "runs_out"):
        assert code not in text


def test_a_plan_with_no_schedule_says_so(client, on_30_june, active, alice):
    with_schedule(active, lines=[])
    text = visible(opened(client, alice, active))
    assert "No payments are scheduled yet" in text and "See the payment schedule" in text


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_runs_the_same_queries_for_3_or_30_transactions(
    client, paid, alice, count, django_assert_max_num_queries
):
    money_moved(paid.plan, alice, *[("2026-06-02", "1.00", SPEND, item_key(paid)) for _ in range(count)])
    client.force_login(alice)
    client.get(url(paid))
    with django_assert_max_num_queries(8):
        assert client.get(url(paid)).status_code == 200


def test_a_link_to_a_page_not_built_yet_is_left_out(active):
    assert link_if_built("payments:schedule", plan_id=active.plan_id) == f"/payments/plans/{active.plan_id}/"
    assert link_if_built("payments:no_such_page", plan_id=active.plan_id) == ""
