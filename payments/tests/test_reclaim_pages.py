"""The repayment and stopping pages: who reaches them, buttons exactly when the rule allows, proposing, the
response, the decision and withdrawing on their own pages, the letters as audited downloads, bad input answered
with messages, and the lists' queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from payments import reclaim_access, reclaims
from payments.models import ActionStatus, AfterStopping, MoneyAction, ScheduleLine
from payments.rules import TO_PAY_BACK, LineKind
from phb.models import AuditAction, AuditEvent
from phb.words import long_date

MAX_QUERIES = 8  # tests/test_page_queries.py


def text(response) -> str:
    return response.content.decode()


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def url(name, obj=None, **kwargs):
    if obj is not None:
        kwargs["pk"] = obj.pk
    return reverse(f"payments:{name}", kwargs=kwargs)


def date_form(prefix, day) -> dict:
    return {f"{prefix}_day": str(day.day), f"{prefix}_month": str(day.month), f"{prefix}_year": str(day.year)}


@pytest.fixture
def reclaim(active, maker):
    first = reclaims.payment_periods(active.plan, on=timezone.localdate())[0][0]
    return reclaims.propose_reclaim(
        plan=active.plan,
        amount=Decimal("300.00"),
        reasons="Money not used as agreed.",
        from_period=first,
        acting_user=maker,
    )


@pytest.fixture
def due(reclaim):
    """The reclaim once its respond-by date has passed, so it can be decided."""
    MoneyAction.objects.filter(pk=reclaim.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    reclaim.refresh_from_db()
    return reclaim


def every_url(action) -> list[str]:
    plan_id = action.plan_id
    return [
        url("reclaims", plan_id=plan_id),
        url("reclaim_new", plan_id=plan_id),
        url("stop_new", plan_id=plan_id),
        url("reclaim", action),
        url("reclaim_decide", action),
        url("reclaim_withdraw", action),
        url("reclaim_letter", action),
    ]


# Who reaches the pages


def test_outsiders_and_patients_get_a_404_on_every_page_and_it_is_recorded(client, reclaim, charlie, pat):
    for user in (charlie, pat):
        for address in every_url(reclaim):
            assert get(client, user, address).status_code == 404, address
        client.force_login(user)
        assert client.post(url("reclaim_response", reclaim), {"response": "x"}).status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_REFUSED, actor=charlie).count() == 8
    assert MoneyAction.objects.get(pk=reclaim.pk).response == ""


def test_the_coordinator_sees_the_list_and_the_action_but_cannot_propose_decide_or_withdraw(client, due, alice):
    html = text(get(client, alice, url("reclaims", plan_id=due.plan_id)))
    assert "Repayment of £300.00" in html and "waiting for a decision" in html  # its day to respond has passed
    assert 'data-testid="propose-reclaim"' not in html and 'data-testid="propose-stop"' not in html
    html = text(get(client, alice, url("reclaim", due)))
    assert 'data-testid="decide"' not in html and 'data-testid="withdraw"' not in html
    assert 'data-testid="response-form"' in html and "Download the letter (PDF)" in html
    for name in ("reclaim_new", "stop_new"):
        assert get(client, alice, url(name, plan_id=due.plan_id)).status_code == 404
    for name in ("reclaim_decide", "reclaim_withdraw"):
        assert get(client, alice, url(name, due)).status_code == 404
        assert client.post(url(name, due), {"agree": "no", "decision_reasons": "x"}).status_code == 404
    assert MoneyAction.objects.get(pk=due.pk).status == ActionStatus.PROPOSED


@pytest.mark.parametrize("respond_by_passed", [False, True])
def test_buttons_show_exactly_when_the_rule_allows(client, reclaim, maker, checker, alice, bob, respond_by_passed):
    if respond_by_passed:
        MoneyAction.objects.filter(pk=reclaim.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
        reclaim.refresh_from_db()
    for user in (maker, checker, alice, bob):
        html = text(get(client, user, url("reclaim", reclaim)))
        assert ('data-testid="decide"' in html) == (reclaim_access.decide_refusal(user, reclaim) == ""), user
        assert ('data-testid="withdraw"' in html) == (reclaim_access.withdraw_refusal(user, reclaim) == ""), user
        assert ('data-testid="response-form"' in html) == (reclaim_access.respond_refusal(user, reclaim) == ""), user
    assert ('data-testid="decide"' in text(get(client, checker, url("reclaim", reclaim)))) == respond_by_passed


def test_whoever_proposed_is_told_someone_else_decides_and_is_sent_back(client, due, maker):
    html = text(get(client, maker, url("reclaim", due)))
    assert "Someone else in the PHB team must decide" in html
    response = client.get(url("reclaim_decide", due))
    assert response.status_code == 302 and response.url == url("reclaim", due)


# Proposing


def test_the_list_offers_both_proposals_to_the_phb_team_and_one_at_a_time(client, active, maker):
    html = text(get(client, maker, url("reclaims", plan_id=active.plan_id)))
    assert 'data-testid="propose-reclaim"' in html and 'data-testid="propose-stop"' in html
    assert "No repayment or stopping" in html
    first = reclaims.payment_periods(active.plan, on=timezone.localdate())[0][0]
    response = client.post(
        url("reclaim_new", plan_id=active.plan_id),
        {"amount": "£1,250.50", "from_period": first.isoformat(), "reasons": "Saved up, not spent."},
    )
    made = MoneyAction.objects.get()
    assert response.status_code == 302 and response.url == url("reclaim", made)
    assert made.amount == Decimal("1250.50") and made.letter_pdf
    html = text(client.get(response.url))
    assert "Repayment of £1,250.50 proposed" in html and long_date(made.respond_by) in html
    html = text(client.get(url("reclaims", plan_id=active.plan_id)))
    assert 'data-testid="propose-reclaim"' not in html and 'data-testid="propose-stop"' in html
    assert "already waiting for a decision" in html


def test_stopping_is_proposed_with_its_date_and_what_happens_after(client, active, maker):
    client.force_login(maker)
    assert client.get(url("stop_new", plan_id=active.plan_id)).status_code == 200
    effective_on = reclaims.respond_by_for(timezone.localdate()) + datetime.timedelta(days=7)
    sent = {**date_form("effective_on", effective_on), "after_stopping": AfterStopping.END, "reasons": "Misused."}
    response = client.post(url("stop_new", plan_id=active.plan_id), sent)
    made = MoneyAction.objects.get()
    assert response.status_code == 302 and made.effective_on == effective_on and made.after_stopping == "end"


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"amount": "", "from_period": "", "reasons": ""}, "Enter the amount to pay back"),
        ({"amount": "lots", "from_period": "FIRST", "reasons": "x"}, "There is a problem"),
        ({"amount": "0", "from_period": "FIRST", "reasons": "x"}, "more than £0"),
        ({"amount": "99999999999", "from_period": "FIRST", "reasons": "x"}, "or less"),
        ({"amount": "10", "from_period": "1999-01-01", "reasons": "x"}, "Select one of the options shown"),
        ({"amount": "10", "from_period": "<script>", "reasons": "x"}, "Select one of the options shown"),
        ({"amount": "10", "from_period": "FIRST", "reasons": "x" * 5000}, "4,000 characters or fewer"),
        ({"amount": "10", "from_period": "FIRST", "reasons": "   "}, "Enter why the money should be paid back"),
    ],
)
def test_bad_input_to_propose_a_repayment_gets_a_message_and_nothing_is_made(client, active, maker, sent, message):
    first = reclaims.payment_periods(active.plan, on=timezone.localdate())[0][0].isoformat()
    sent = {key: first if value == "FIRST" else value for key, value in sent.items()}
    client.force_login(maker)
    response = client.post(url("reclaim_new", plan_id=active.plan_id), sent)
    assert response.status_code == 200 and message in text(response)
    assert not MoneyAction.objects.exists()


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"effective_on_day": "31", "effective_on_month": "2", "effective_on_year": "2027"}, "must be a real date"),
        ({"effective_on_day": "x", "effective_on_month": "\x00", "effective_on_year": "9" * 30}, "There is a problem"),
        ("TOMORROW", "the date the person can respond by"),
    ],
)
def test_bad_input_to_propose_stopping_gets_a_message_and_nothing_is_made(client, active, maker, dates, message):
    if dates == "TOMORROW":
        dates = date_form("effective_on", timezone.localdate() + datetime.timedelta(days=1))
    client.force_login(maker)
    sent = {**dates, "after_stopping": "sideways", "reasons": "Misused."}
    response = client.post(url("stop_new", plan_id=active.plan_id), sent)
    assert response.status_code == 200 and message in text(response)
    assert not MoneyAction.objects.exists()


# The response, the decision, withdrawing


def test_the_coordinator_records_the_response_and_bad_input_is_shown_on_the_page(client, reclaim, alice):
    client.force_login(alice)
    future = timezone.localdate() + datetime.timedelta(days=3)
    response = client.post(url("reclaim_response", reclaim), {"response": "", **date_form("response_on", future)})
    html = text(response)
    assert response.status_code == 200 and "Enter what the person said" in html and "today or in the past" in html
    sent = {"response": "I can explain.", **date_form("response_on", timezone.localdate())}
    response = client.post(url("reclaim_response", reclaim), sent)
    assert response.status_code == 302
    assert "I can explain." in text(client.get(response.url))
    assert MoneyAction.objects.get(pk=reclaim.pk).response_recorded_by == alice


def test_the_decision_page_takes_a_repayment_off_the_next_payments_and_writes_the_letter(client, due, checker):
    html = text(get(client, checker, url("reclaim_decide", due)))
    assert "Record the decision and write the letter" in html and "No, go back without deciding" in html
    assert "(optional)" not in html
    sent = {"agree": "yes", "recovery": "deduct", "instalments": "3", "decision_reasons": "Not used as agreed."}
    response = client.post(url("reclaim_decide", due), sent)
    assert response.status_code == 302 and response.url == url("reclaim", due)
    html = text(client.get(response.url))
    assert "Decided: going ahead" in html and "Download the decision letter (PDF)" in html
    assert ScheduleLine.objects.filter(plan_id=due.plan_id, kind=LineKind.RECLAIM).count() == 3
    assert 'data-testid="decide"' not in html and 'data-testid="withdraw"' not in html


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({}, "Select yes if you agree with the proposal"),
        ({"agree": "maybe", "decision_reasons": "x"}, "Select one of the options shown"),
        ({"agree": "yes", "decision_reasons": "x"}, "Select how the money is to be paid back"),
        ({"agree": "yes", "recovery": "deduct", "decision_reasons": "x"}, "Enter how many payments"),
        ({"agree": "yes", "recovery": "deduct", "instalments": "0", "decision_reasons": "x"}, "1 or more"),
        ({"agree": "yes", "recovery": "deduct", "instalments": "1e5", "decision_reasons": "x"}, "whole number"),
        ({"agree": "yes", "recovery": "deduct", "instalments": "26", "decision_reasons": "x"}, "payments left"),
        ({"agree": "yes", "recovery": "steal", "decision_reasons": "x"}, "Select one of the options shown"),
        ({"agree": "no", "decision_reasons": "  "}, "Enter the reasons for the decision"),
    ],
)
def test_bad_input_to_the_decision_gets_a_message_and_nothing_is_decided(client, due, checker, sent, message):
    client.force_login(checker)
    response = client.post(url("reclaim_decide", due), sent)
    assert response.status_code == 200 and message in text(response)
    assert MoneyAction.objects.get(pk=due.pk).status == ActionStatus.PROPOSED
    assert not ScheduleLine.objects.filter(kind__in=TO_PAY_BACK).exists()


def test_the_stopping_decision_page_says_what_will_be_held_and_then_the_next_step(client, active, maker, checker):
    action = reclaims.propose_stop(
        plan=active.plan,
        effective_on=reclaims.respond_by_for(timezone.localdate()) + datetime.timedelta(days=1),
        after_stopping=AfterStopping.END,
        reasons="Misused.",
        acting_user=maker,
    )
    MoneyAction.objects.filter(pk=action.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    html = text(get(client, checker, url("reclaim_decide", action)))
    assert "will be held" in html and 'name="recovery"' not in html
    response = client.post(url("reclaim_decide", action), {"agree": "yes", "decision_reasons": "Misused."})
    html = text(client.get(response.url))
    assert 'data-testid="next-step"' in html and "end the budget from" in html
    assert reverse("careplans:version", kwargs={"pk": active.pk}) in html


def test_withdrawing_asks_first_on_its_own_page(client, reclaim, checker):
    html = text(get(client, checker, url("reclaim_withdraw", reclaim)))
    assert "Yes, withdraw it" in html and MoneyAction.objects.get(pk=reclaim.pk).status == ActionStatus.PROPOSED
    response = client.post(url("reclaim_withdraw", reclaim))
    assert response.status_code == 302
    assert "Withdrawn" in text(client.get(response.url))
    assert MoneyAction.objects.get(pk=reclaim.pk).status == ActionStatus.WITHDRAWN
    response = client.post(url("reclaim_withdraw", reclaim))  # again: told why, nothing changes
    assert "was withdrawn" in text(client.get(response.url))


# The letters


def test_the_letters_download_as_pdfs_and_each_download_is_audited(client, due, checker, alice):
    reclaims.decide(action=due, agree=False, decision_reasons="Explained.", acting_user=checker)
    response = get(client, alice, url("reclaim_letter", due))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "repayment-letter-money" in response["Content-Disposition"]
    response = client.get(url("reclaim_decision_letter", due))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    downloads = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=alice, summary__startswith="Downloaded")
    assert downloads.count() == 2 and {event.person_id for event in downloads} == {due.plan.person_id}


def test_there_is_no_decision_letter_before_the_decision(client, reclaim, alice):
    assert get(client, alice, url("reclaim_decision_letter", reclaim)).status_code == 404


# Queries


def test_the_pages_run_a_few_queries_whatever_the_number_of_actions(client, active, reclaim, maker, checker):
    for _ in range(6):
        reclaims.withdraw(action=reclaim, acting_user=checker)
        reclaim = reclaims.propose_reclaim(
            plan=active.plan,
            amount=Decimal("5.00"),
            reasons="Again.",
            from_period=reclaim.from_period,
            acting_user=maker,
        )
    client.force_login(checker)
    for address in (url("reclaims", plan_id=active.plan_id), url("reclaim", reclaim), url("reclaim_withdraw", reclaim)):
        client.get(address)  # the session and the like, once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        assert len(captured) <= MAX_QUERIES, (address, [q["sql"] for q in captured.captured_queries])


def test_a_proposal_sent_twice_makes_one_repayment_and_one_letter(client, active, maker):
    import re

    client.force_login(maker)
    page = text(client.get(url("reclaim_new", plan_id=active.plan_id)))
    token = re.search(r'name="once" value="([^"]+)"', page)[1]
    first = reclaims.payment_periods(active.plan, on=timezone.localdate())[0][0].isoformat()
    sent = {"amount": "40", "from_period": first, "reasons": "Not used as agreed.", "once": token}
    answers = [client.post(url("reclaim_new", plan_id=active.plan_id), sent) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [302, 302] and answers[0].url == answers[1].url
    assert MoneyAction.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.PROPOSE_RECLAIM).count() == 1


def test_a_repayment_says_it_waits_for_a_decision_once_responded_or_its_day_has_passed(client, reclaim, alice, leo):
    client.force_login(leo)
    url = reverse("payments:reclaim", kwargs={"pk": reclaim.pk})
    assert "Letter sent: waiting for a response" in text(client.get(url))
    MoneyAction.objects.filter(pk=reclaim.pk).update(respond_by=timezone.localdate() - datetime.timedelta(days=1))
    html = text(client.get(url))
    assert (
        f"No response by {long_date(timezone.localdate() - datetime.timedelta(days=1))}: waiting for a decision" in html
    )
    reclaims.record_response(
        action=reclaim, response="I can explain.", response_on=timezone.localdate(), acting_user=alice
    )
    html = text(client.get(url))
    assert "Response recorded: waiting for a decision" in html and "waiting for a response" not in html
