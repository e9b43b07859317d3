"""Destructive actions ask first, and an ending for money misused or no longer eligible needs a second person.

- Removing an outcome or an item from a draft, and ending a budget, each have a page that shows what will go
  and a "Yes, ..." button with a way back; opening the page changes nothing, sending it does the work once.
- Ending for a reason in lifecycle.SECOND_PERSON_REASONS only asks: the plan stays as it was until a PHB team
  member who did not ask confirms it (then it ends as asked, audited with both names) or refuses it.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from careplans import approval, lifecycle
from careplans.models import (
    DecisionEmail,
    EndingRequest,
    EndingStatus,
    EventKind,
    Outcome,
    PlanEvent,
    PlanVersion,
    Status,
    SupportItem,
)
from careplans.tests.factories import approved_plan, complete_plan
from phb import once
from phb.errors import ServiceError
from phb.models import AuditAction, AuditEvent, SentForm
from phb.words import long_date

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + datetime.timedelta(days=30)


class PostForms(HTMLParser):
    """Each post form of a page: its action and the hidden and filled-in values it sends."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self.forms.append({"action": a.get("action", ""), "data": {}})
        elif tag == "input" and self.forms and a.get("name") and a.get("type") in ("hidden", "text", None):
            self.forms[-1]["data"][a["name"]] = a.get("value", "")


def forms_on(response) -> list[dict]:
    """The page's own forms (each carries a one-time token; the header's sign-out button does not)."""
    parser = PostForms()
    parser.feed(response.content.decode())
    return [form for form in parser.forms if once.FIELD in form["data"]]


@pytest.fixture
def draft(jane, alice):
    return complete_plan(person=jane, coordinator=alice)


@pytest.fixture
def active(jane, alice, priya):
    return approved_plan(person=jane, coordinator=alice, approver=priya)


def end_form(reason, **overrides):
    return {
        "reason": reason,
        "ended_on_day": str(SOON.day),
        "ended_on_month": str(SOON.month),
        "ended_on_year": str(SOON.year),
        "note": "Receipts were not kept",
        "unspent_to_repay": "",
        **overrides,
    }


def ask(active, user, reason="money_misused"):
    return approval.ending_ask(
        version=active,
        reason=reason,
        ended_on=SOON,
        note="Receipts were not kept",
        unspent_to_repay=None,
        acting_user=user,
    )


# Removing from a draft: a page that asks first.


@pytest.mark.parametrize("kind", ["outcome", "item"])
def test_the_remove_page_shows_what_will_go_and_removes_nothing(client, alice, draft, kind):
    row = draft.outcomes.first() if kind == "outcome" else draft.items.first()
    client.force_login(alice)
    page = client.get(reverse(f"careplans:{kind}_remove", kwargs={"pk": row.pk}))
    text = page.content.decode()
    assert page.status_code == 200
    assert (row.goal if kind == "outcome" else row.description) in text
    assert "Yes, remove" in text and reverse("careplans:version", kwargs={"pk": draft.pk}) in text
    assert Outcome.objects.filter(pk=row.pk).exists() or SupportItem.objects.filter(pk=row.pk).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REMOVE).exists()


@pytest.mark.parametrize("kind", ["outcome", "item"])
def test_sending_the_remove_page_removes_the_row_once(client, alice, draft, kind):
    model = Outcome if kind == "outcome" else SupportItem
    row = model.objects.filter(plan_version=draft).first()
    url = reverse(f"careplans:{kind}_remove", kwargs={"pk": row.pk})
    client.force_login(alice)
    (form,) = forms_on(client.get(url))
    assert len(form["data"][once.FIELD]) >= 40 and form["data"]["revision"] == str(draft.revision)
    first = client.post(url, form["data"])
    assert first["Location"] == reverse("careplans:version", kwargs={"pk": draft.pk})
    assert not model.objects.filter(pk=row.pk).exists()
    second = client.post(url, form["data"])  # a double click
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert once.ALREADY_SENT in client.get(second["Location"]).content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.REMOVE).count() == 1


def test_the_plan_page_links_to_the_remove_pages_instead_of_removing(client, alice, draft):
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": draft.pk})).content.decode()
    outcome, item = draft.outcomes.first(), draft.items.first()
    for url in (
        reverse("careplans:outcome_remove", kwargs={"pk": outcome.pk}),
        reverse("careplans:item_remove", kwargs={"pk": item.pk}),
    ):
        assert f'href="{url}"' in page
        assert f'action="{url}"' not in page


def test_the_remove_page_of_a_submitted_plan_says_why_not(client, alice, draft):
    from careplans import services

    services.plan_submit(version=draft, acting_user=alice)
    client.force_login(alice)
    answer = client.get(reverse("careplans:item_remove", kwargs={"pk": draft.items.first().pk}), follow=True)
    assert "cannot be changed" in answer.content.decode()
    assert draft.items.exists()


def test_another_team_cannot_open_the_remove_page(client, charlie, draft):
    client.force_login(charlie)
    assert client.get(reverse("careplans:outcome_remove", kwargs={"pk": draft.outcomes.first().pk})).status_code == 404


# Ending: its own page, reached by a plain link, saying what ending does.


def test_the_end_link_is_a_plain_link_apart_from_asking_for_a_review(client, alice, active):
    client.force_login(alice)
    page = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    end_url = reverse("careplans:end", kwargs={"pk": active.pk})
    assert f'<a href="{end_url}" data-testid="end-link">End the personal health budget</a>' in page
    assert "nhsuk-button--warning" not in page
    review = page.index(reverse("careplans:review_request", kwargs={"pk": active.plan_id}))
    assert page.index("<h2>Ending the personal health budget</h2>") > review


def test_the_end_page_says_what_ending_does_and_changes_nothing(client, alice, active):
    client.force_login(alice)
    page = client.get(reverse("careplans:end", kwargs={"pk": active.pk})).content.decode()
    assert "1 review still to do is cancelled" in page
    assert "A letter giving the reasons is kept" in page and "Alice Adams, the care coordinator, is told" in page
    assert "Yes, end the personal health budget" in page
    assert "The money has not been used as agreed (a PHB team member must confirm this)" in page
    assert "The person has died (a PHB team member" not in page
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE


def test_ending_for_another_reason_takes_effect_at_once(client, alice, active):
    client.force_login(alice)
    answer = client.post(reverse("careplans:end", kwargs={"pk": active.pk}), end_form("moved_away"))
    assert answer.status_code == 302
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ENDING
    assert not EndingRequest.objects.exists()


# Four eyes.


def test_a_coordinator_asking_to_end_for_money_misused_only_asks(client, alice, active):
    client.force_login(alice)
    answer = client.post(reverse("careplans:end", kwargs={"pk": active.pk}), end_form("money_misused"), follow=True)
    assert "Ending asked for. A PHB team member must confirm it." in answer.content.decode()
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE
    assert active.plan.reviews.filter(status="due").exists()
    ending = EndingRequest.objects.get()
    assert (ending.requested_by, ending.reason, ending.ended_on, ending.status) == (
        alice,
        "money_misused",
        SOON,
        EndingStatus.WAITING,
    )
    assert AuditEvent.objects.filter(action=AuditAction.REQUEST_END, actor=alice).count() == 1
    # The plan page shows it is waiting, and the coordinator is not offered to confirm it.
    page = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert "An ending is waiting for confirmation" in page
    today = long_date(timezone.localdate())
    assert f"Alice Adams asked on {today} for this personal health budget to end from {long_date(SOON)}" in page
    assert reverse("careplans:ending_decide", kwargs={"pk": ending.pk}) not in page


def test_the_service_will_not_end_for_money_misused_without_a_second_person(alice, active):
    with pytest.raises(ServiceError, match="needs a PHB team member to confirm it"):
        approval.plan_end(
            version=active, reason="not_eligible", ended_on=SOON, note="", unspent_to_repay=None, acting_user=alice
        )
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE


def test_the_asker_cannot_confirm_their_own_ending(client, priya, active):
    ending = ask(active, priya)
    with pytest.raises(ServiceError, match="someone else in the PHB team"):
        approval.ending_confirm(ending=ending, acting_user=priya)
    client.force_login(priya)
    page = client.get(reverse("careplans:ending_decide", kwargs={"pk": ending.pk})).content.decode()
    assert "You asked for this ending, so someone else in the PHB team must confirm or refuse it." in page
    assert "Yes, end the personal health budget" not in page
    client.post(reverse("careplans:ending_decide", kwargs={"pk": ending.pk}), {"decision": "confirm"})
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE
    assert EndingRequest.objects.get().status == EndingStatus.WAITING
    # And the database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        EndingRequest.objects.filter(pk=ending.pk).update(decided_by=priya)


def test_a_coordinator_cannot_confirm_an_ending(client, alice, bob, active):
    ending = ask(active, alice)
    with pytest.raises(ServiceError, match="Your role cannot confirm or refuse"):
        approval.ending_confirm(ending=ending, acting_user=bob)
    client.force_login(bob)
    assert client.get(reverse("careplans:ending_decide", kwargs={"pk": ending.pk})).status_code == 404
    assert (
        client.post(reverse("careplans:ending_decide", kwargs={"pk": ending.pk}), {"decision": "confirm"}).status_code
        == 404
    )
    assert client.get(reverse("careplans:endings")).status_code == 404
    assert PlanVersion.objects.get(pk=active.pk).status == Status.ACTIVE


def test_a_phb_team_member_who_did_not_ask_confirms_and_the_budget_ends(client, alice, priya, active):
    ending = ask(active, alice)
    client.force_login(priya)
    listed = client.get(reverse("careplans:endings")).content.decode()
    url = reverse("careplans:ending_decide", kwargs={"pk": ending.pk})
    assert url in listed and "Jane Smith" in listed
    plan_page = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert f'href="{url}"' in plan_page  # offered exactly when the service accepts
    assert lifecycle.may(lifecycle.Action.DECIDE_END, active, priya)
    page = client.get(url)
    assert "Yes, end the personal health budget" in page.content.decode()
    confirm = next(form for form in forms_on(page) if form["data"].get("decision") == "confirm")
    answer = client.post(url, confirm["data"])
    assert answer["Location"] == reverse("careplans:endings")
    ended = PlanVersion.objects.get(pk=active.pk)
    assert (ended.status, ended.end_reason, ended.ended_on) == (Status.ENDING, "money_misused", SOON)
    ending.refresh_from_db()
    assert (ending.status, ending.decided_by) == (EndingStatus.CONFIRMED, priya)
    # Audited with the asker and the one who confirmed.
    confirmed = AuditEvent.objects.get(action=AuditAction.CONFIRM_END)
    assert confirmed.actor == priya and "Alice Adams" in confirmed.summary
    end = AuditEvent.objects.get(action=AuditAction.END, object_id=str(active.pk))
    assert end.actor == priya and "asked for by Alice Adams and confirmed by Priya Patel" in end.summary
    # The timeline tells the whole story; the coordinator is told.
    timeline = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert "Ending asked for, by Alice Adams" in timeline
    assert "Asked for by Alice Adams and confirmed by Priya Patel" in timeline
    assert DecisionEmail.objects.filter(subject__startswith="Personal health budget ended").count() == 1
    # Sent again (a double click): the same page, nothing ended twice.
    again = client.post(url, confirm["data"])
    assert again["Location"] == answer["Location"]
    assert AuditEvent.objects.filter(action=AuditAction.END).count() == 1


def test_a_refused_ending_leaves_the_plan_unchanged_and_tells_whoever_asked(client, alice, priya, active):
    ending = ask(active, alice)
    url = reverse("careplans:ending_decide", kwargs={"pk": ending.pk})
    client.force_login(priya)
    refuse = next(form for form in forms_on(client.get(url)) if form["data"].get("decision") == "refuse")
    empty = client.post(url, refuse["data"])
    assert empty.status_code == 200 and "Enter why you are refusing the ending" in empty.content.decode()
    answer = client.post(url, refuse["data"] | {"reason": "The receipts came in yesterday"})
    assert answer.status_code == 302
    version = PlanVersion.objects.get(pk=active.pk)
    assert (version.status, version.ended_on, version.end_reason) == (Status.ACTIVE, None, "")
    assert active.plan.reviews.filter(status="due").exists()
    ending.refresh_from_db()
    assert (ending.status, ending.decided_by, ending.refusal_reason) == (
        EndingStatus.REFUSED,
        priya,
        "The receipts came in yesterday",
    )
    assert AuditEvent.objects.filter(action=AuditAction.REFUSE_END, actor=priya).count() == 1
    event = PlanEvent.objects.get(kind=EventKind.ENDING_REFUSED)
    assert event.actor == priya and "The receipts came in yesterday" in event.reason
    assert DecisionEmail.objects.get(event=event).to == alice.email
    timeline = client.get(reverse("careplans:version", kwargs={"pk": active.pk})).content.decode()
    assert "Ending refused, by Priya Patel" in timeline
    # Decided: it cannot be confirmed afterwards.
    with pytest.raises(ServiceError, match="already refused"):
        approval.ending_confirm(ending=ending, acting_user=priya)


def test_one_ending_waits_per_plan(alice, bob, active):
    ask(active, alice)
    with pytest.raises(ServiceError, match="already asked"):
        ask(active, bob, reason="not_eligible")
    with pytest.raises(IntegrityError), transaction.atomic():
        EndingRequest.objects.create(
            plan=active.plan, plan_version=active, reason="not_eligible", ended_on=SOON, requested_by=bob
        )


def test_ending_for_another_reason_meanwhile_means_the_ending_waiting_is_not_needed(alice, priya, active):
    ending = ask(active, alice)
    approval.plan_end(
        version=active,
        reason="died",
        ended_on=timezone.localdate(),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    ending.refresh_from_db()
    assert ending.status == EndingStatus.OVERTAKEN
    with pytest.raises(ServiceError, match="no longer needed"):
        approval.ending_confirm(ending=ending, acting_user=priya)


def test_the_endings_list_is_for_the_phb_team_and_marks_the_users_own(client, alice, priya, leo, active):
    ask(active, priya)
    client.force_login(leo)
    assert "Priya Patel" in client.get(reverse("careplans:endings")).content.decode()
    client.force_login(priya)
    page = client.get(reverse("careplans:endings")).content.decode()
    assert ">You<" in page
    assert "the money has not been used as agreed" in page and "the person is no longer eligible" in page
    assert AuditEvent.objects.filter(action=AuditAction.VIEW_LIST, summary__contains="endings to confirm").exists()
    client.force_login(alice)
    assert client.get(reverse("careplans:endings")).status_code == 404


def test_the_once_token_is_kept_per_form(client, alice, active):
    """Asking for an ending twice with the same form makes one ending (the second goes where the first did)."""
    url = reverse("careplans:end", kwargs={"pk": active.pk})
    client.force_login(alice)
    (form,) = forms_on(client.get(url))
    sent = form["data"] | end_form("money_misused")
    first = client.post(url, sent)
    second = client.post(url, sent)
    assert (second.status_code, second["Location"]) == (302, first["Location"])
    assert EndingRequest.objects.count() == 1
    assert SentForm.objects.filter(user=alice, token=sent[once.FIELD]).count() == 1
