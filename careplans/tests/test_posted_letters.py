"""A person who chose to have their letters posted (Person.letters_by_post) gets each letter about their plan by
post: the PDF kept on the record, sent through GOV.UK Notify's precompiled-letter API, once. Against
tests/notify_api.py, a stand-in on 127.0.0.1 that checks each request as Notify does, and each letter's page size
and address block as Notify's printer does (nothing patched in the code under test)."""

import datetime

import pytest
from django.urls import reverse

from careplans import approval, emails, services, tasks
from careplans.models import Letter, LetterKind, PostedLetter, Status
from careplans.tests.factories import approved_plan, complete_plan
from people.models import Person
from people.tests.factories import PersonFactory
from phb import outbox
from tests.notify_api import address_lines

pytestmark = pytest.mark.django_db

LETTERS = "/v2/notifications/letter"
LIST = reverse("careplans:failed_messages")


@pytest.fixture
def notify(settings, notify_api):
    """The service sends through the stand-in."""
    settings.NOTIFY_API_KEY = notify_api.api_key()
    settings.NOTIFY_BASE_URL = notify_api.base_url
    return notify_api


@pytest.fixture
def by_post(jane):
    Person.objects.filter(pk=jane.pk).update(letters_by_post=True)
    jane.refresh_from_db()
    return jane


def posted(api) -> list:
    return [seen for seen in api.accepted if seen.path == LETTERS]


def submitted(person, coordinator):
    return services.plan_submit(version=complete_plan(person=person, coordinator=coordinator), acting_user=coordinator)


def test_it_posts_the_approval_letter_once_and_notify_accepts_it(notify, by_post, alice, priya):
    approved_plan(person=by_post, coordinator=alice, approver=priya)
    posting = PostedLetter.objects.select_related("letter").get()
    assert posting.letter.kind == LetterKind.APPROVAL and posting.postage == "second"

    assert emails.posted_letter_send(posting.pk) is True
    assert emails.posted_letter_send(posting.pk) is False  # posted: asking again posts nothing
    # A worker that died after Notify took the letter, before the row was marked sent: the outbox sends the row
    # again, and Notify already has a letter under its reference, so nothing more is posted.
    PostedLetter.objects.filter(pk=posting.pk).update(sent_at=None, claimed_at=None)
    assert emails.posted_letter_send(posting.pk) is True

    [letter] = posted(notify)
    assert letter.body["reference"] == outbox.idempotency_key(posting)
    assert letter.body["postage"] == "second"
    notification = notify.notifications[letter.answer["id"]]
    assert notify.failures[letter.answer["id"]] == []  # A4 portrait, the address alone in the window
    assert notification["status"] == "accepted"
    assert notification["pdf"] == bytes(posting.letter.pdf)
    lines = address_lines(notification["pdf"])
    assert (lines[0], lines[-1]) == (by_post.full_name, by_post.postcode)
    posting.refresh_from_db()
    assert posting.sent_at is not None and posting.failed_at is None


def test_a_person_who_did_not_choose_post_gets_no_letter_by_post(notify, jane, alice, priya):
    approved_plan(person=jane, coordinator=alice, approver=priya)
    assert Letter.objects.filter(kind=LetterKind.APPROVAL).exists()
    assert not PostedLetter.objects.exists()


def test_a_return_notice_goes_to_the_coordinator_and_is_never_posted(notify, by_post, alice, priya):
    approval.plan_return(version=submitted(by_post, alice), reason="Add the second carer's hours.", acting_user=priya)
    assert Letter.objects.filter(kind=LetterKind.RETURN).exists()
    assert not PostedLetter.objects.exists()


def test_decline_and_ending_letters_are_posted_too(notify, by_post, north, alice, priya):
    ravi = PersonFactory(given_name="Ravi", family_name="Shah", care_team=north, lead_coordinator=alice)
    Person.objects.filter(pk=ravi.pk).update(letters_by_post=True)
    approval.plan_decline(version=submitted(ravi, alice), reason="Not a health need.", acting_user=priya)
    active = approved_plan(person=by_post, coordinator=alice, approver=priya)
    assert active.status == Status.ACTIVE
    approval.plan_end(
        version=active,
        reason="moved_away",
        ended_on=datetime.date(2026, 9, 30),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    kinds = sorted(PostedLetter.objects.values_list("letter__kind", flat=True))
    assert kinds == [LetterKind.APPROVAL, LetterKind.DECLINE, LetterKind.ENDING]
    for posting in PostedLetter.objects.all():
        assert emails.posted_letter_send(posting.pk) is True
    assert len(posted(notify)) == 3
    assert all(failures == [] for failures in notify.failures.values())


def test_without_notify_the_letter_fails_at_once_and_waits_for_the_lead(settings, client, leo, by_post, alice, priya):
    settings.NOTIFY_API_KEY = ""
    approved_plan(person=by_post, coordinator=alice, approver=priya)
    posting = PostedLetter.objects.get()

    assert emails.posted_letter_send(posting.pk) is False

    posting.refresh_from_db()
    assert posting.sent_at is None and posting.failed_at is not None and posting.attempts == 1
    assert "Letters are posted through GOV.UK Notify, which is not set up here" in posting.last_error
    client.force_login(leo)
    page = client.get(LIST).content.decode()
    assert "1 message not sent" in page
    assert "Letter by post: Approval letter" in page
    assert "Letters are posted through GOV.UK Notify, which is not set up here" in page
    assert reverse("careplans:message_retry", kwargs={"kind": "letter", "pk": posting.pk}) in page
    assert ("letter", "Letters posted") in emails.kind_choices()


def test_the_lead_tries_a_failed_letter_again_and_it_is_posted(
    notify, monkeypatch, by_post, alice, priya, leo, django_capture_on_commit_callbacks
):
    handed = []
    monkeypatch.setattr(tasks.send_posted_letter, "delay", handed.append)
    approved_plan(person=by_post, coordinator=alice, approver=priya)
    posting = PostedLetter.objects.get()
    PostedLetter.objects.filter(pk=posting.pk).update(failed_at=posting.created_at, attempts=8, last_error="Down")

    with django_capture_on_commit_callbacks(execute=True):
        assert emails.message_retry(message=emails.outbox_message("letter", posting.pk), acting_user=leo) is True
    assert handed == [posting.pk]
    assert tasks.send_posted_letter(posting.pk) is True
    assert len(posted(notify)) == 1


def test_the_sweep_queues_a_letter_whose_task_was_lost(monkeypatch, by_post, alice, priya):
    handed = []
    monkeypatch.setattr(tasks.send_posted_letters, "delay", lambda pks, queued_at: handed.extend(pks))
    monkeypatch.setattr(outbox, "queue_is_empty", lambda task: True)
    approved_plan(person=by_post, coordinator=alice, approver=priya)  # its queueing never ran (no commit)

    assert emails.posted_letters_queue_due().queued == 1
    assert handed == [PostedLetter.objects.get().pk]
    assert emails.posted_letters_queue_due().queued == 0  # queued already: not handed over twice


def test_a_person_who_no_longer_wants_post_is_not_sent_a_letter_still_waiting(notify, by_post, alice, priya):
    approved_plan(person=by_post, coordinator=alice, approver=priya)
    Person.objects.filter(pk=by_post.pk).update(letters_by_post=False)
    posting = PostedLetter.objects.get()

    assert emails.posted_letter_send(posting.pk) is False
    posting.refresh_from_db()
    assert posting.sent_at is not None and posted(notify) == []


def person_form(team, **overrides):
    return {
        "nhs_number": "999 000 0026",
        "given_name": "Nora",
        "family_name": "Quinn",
        "date_of_birth_day": "15",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1984",
        "address_line_1": "1 Park Row",
        "town": "Leeds",
        "postcode": "ls1 5ab",
        "care_team": str(team.pk),
        **overrides,
    }


@pytest.mark.parametrize("blank", ["address_line_1", "postcode"])
def test_the_person_form_refuses_post_with_no_address(client, alice, north, blank):
    client.force_login(alice)
    response = client.post(reverse("people:add"), person_form(north, letters_by_post="on", **{blank: ""}))
    assert response.status_code == 200
    assert response.context["form"].errors["letters_by_post"] == ["Enter their address to post letters to them"]
    assert not Person.objects.filter(given_name="Nora").exists()


def test_the_person_form_keeps_the_choice_of_post_and_the_page_shows_it(client, alice, north):
    client.force_login(alice)
    response = client.post(reverse("people:add"), person_form(north, letters_by_post="on"))
    assert response.status_code == 302, response.context["form"].errors
    person = Person.objects.get(given_name="Nora")
    assert person.letters_by_post is True
    page = client.get(reverse("people:detail", kwargs={"pk": person.pk})).content.decode()
    assert "How we contact them" in page and "Letters posted to their address" in page
