"""The portal's "Your money" page: the person (or whoever represents them) sees the money of their own plan in
force, in plain words, with the charts and their figures; nobody else does; every view is audited.

Opened on 30 June 2026 over the schedule of payments/tests/test_selectors.py (£560.00 every 4 weeks from
1 April 2026: £2,240.00 paid in by then; the statement for the period ending 26 May not yet received)."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from careplans.tests.factories import approved_plan, complete_plan
from payments.money_views import link_if_built
from payments.tests.test_money_pages import UUID, visible
from payments.tests.test_selectors import RECOVERY, REFUND, SPEND, item_key, money_moved, statement, with_schedule
from phb.models import AuditAction, AuditEvent


@pytest.fixture
def on_30_june():
    with time_machine.travel(datetime.datetime(2026, 6, 30, 12, tzinfo=ZoneInfo("Europe/London"))):
        yield


@pytest.fixture
def janes(on_30_june, jane, alice, priya):
    version = with_schedule(approved_plan(person=jane, coordinator=alice, approver=priya))
    pa = item_key(version)
    money_moved(
        version.plan,
        alice,
        ("2026-04-10", "300.00", SPEND, pa),
        ("2026-05-20", "50.00", REFUND, pa),
        ("2026-06-01", "200.00", SPEND, None),
    )
    return version


def url(person) -> str:
    return reverse("portal:money", kwargs={"pk": person.pk})


def opened(client, user, person):
    client.force_login(user)
    return client.get(url(person))


def test_the_person_sees_their_money_in_plain_words(client, janes, jane, pat):
    response = opened(client, pat, jane)
    assert response.status_code == 200
    text = visible(response)
    for words in (
        "Your money",
        # £2,240 − £500 + £50.
        "You have £1,790.00 left; at the rate you are spending",
        "Money in your account now £1,790.00",
        "Paid in to your account £2,240.00",
        "You have spent £500.00",
        "Money given back to you (refunds) £50.00",
        "Still to be paid in this year £5,060.00",
        "Your plan year ends 31 March 2027",
        "Please send us your statement We have not had your bank or card statement for the weeks up to 26 May 2026. "
        "It was due by 9 June 2026.",
        "By 30 June 2026 you have spent £450.00 this plan year, after refunds. Your plan expected about £1,560.00.",
        "Most of your spending on one item was on Personal assistant: £250.00 so far this plan year.",
    ):
        assert words in text, words
    html = response.content.decode()
    assert 'data-testid="money-spending-svg"' in html and 'data-testid="money-items-svg"' in html
    assert "Show the figures as a table" in html
    for name, testid in (
        ("statements", "statements"),
        ("statement_add", "add-statement"),
        ("receipt_add", "add-receipt"),
    ):
        assert (f'data-testid="{testid}"' in html) == bool(link_if_built(f"portal:{name}", pk=jane.pk))
    # Staff words stay on the staff page.
    assert "Surplus" not in text and "contingency" not in text.lower()


def test_the_statement_reminder_goes_once_the_statement_is_in(client, janes, jane, pat, alice):
    statement(janes.plan, alice, "2026-04-29", "2026-05-26", received_on="2026-06-20")
    assert 'data-testid="statement-due"' not in opened(client, pat, jane).content.decode()


def test_money_paid_back_to_the_nhs_is_not_taken_for_the_persons_statement(client, janes, jane, pat, alice):
    # What payments.reclaims records when a repayment is decided as paid back on 26 May.
    repaid = statement(janes.plan, alice, "2026-05-26", "2026-05-26", received_on="2026-05-26")
    money_moved(janes.plan, alice, ("2026-05-26", "300.00", RECOVERY, None), on_statement=repaid)
    assert 'data-testid="statement-due"' in opened(client, pat, jane).content.decode()


def test_every_view_is_audited(client, janes, jane, pat):
    opened(client, pat, jane)
    event = AuditEvent.objects.get(actor=pat, action=AuditAction.VIEW)
    assert event.summary == "Portal: viewed money" and event.person_id == jane.pk


def test_a_representative_sees_the_money_of_the_person_they_represent(client, on_30_june, sam, charlie, priya, quinn):
    with_schedule(approved_plan(person=sam, coordinator=charlie, approver=priya))
    response = opened(client, quinn, sam)
    assert response.status_code == 200 and "Paid in to your account £2,240.00" in visible(response)


def test_nobody_else_sees_it(client, janes, jane, sam, pat, quinn, alice, priya):
    for user, person in ((quinn, jane), (pat, sam), (alice, jane), (priya, jane)):
        response = opened(client, user, person)
        assert response.status_code == 404
        assert AuditEvent.objects.filter(actor=user, action=AuditAction.ACCESS_REFUSED).count() >= 1
        assert not AuditEvent.objects.filter(actor=user, action=AuditAction.VIEW).exists()


def test_a_plan_not_in_force_shows_no_money(client, on_30_june, jane, alice, pat):
    complete_plan(person=jane, coordinator=alice)  # a draft: not agreed, so not in force
    text = visible(opened(client, pat, jane))
    assert "You do not have a plan in use yet" in text and "£" not in text


def test_the_page_shows_words_not_stored_codes_or_ids(client, janes, jane, pat):
    text = visible(opened(client, pat, jane))
    assert not UUID.search(text)
    assert not re.search(r"\b\w+_\w+\b", text)


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_runs_the_same_queries_for_3_or_30_transactions(
    client, janes, jane, pat, alice, count, django_assert_max_num_queries
):
    money_moved(janes.plan, alice, *[("2026-06-02", "1.00", SPEND, item_key(janes)) for _ in range(count)])
    client.force_login(pat)
    client.get(url(jane))
    with django_assert_max_num_queries(8):
        assert client.get(url(jane)).status_code == 200
