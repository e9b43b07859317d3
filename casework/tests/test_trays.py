"""The work trays: each lists exactly what it should, for the right people, oldest first, each row linking to
the page that does the work; the header's counts agree with them and cost one query."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from budgets import services as budget_services
from careplans import approval
from careplans import services as plan_services
from careplans.models import Review
from careplans.reviews import due_soon_until
from careplans.tests.factories import approved_change, approved_plan, complete_plan
from casework import trays
from eligibility.tests.factories import referral
from payments.models import MoneyFlag
from people.tests.factories import PersonFactory
from phb import freshness, prepared
from phb.models import AuditAction, AuditEvent
from portal import services as portal_services
from portal.models import Invitation, Message
from tests import page_data as data

pytestmark = pytest.mark.django_db

SCREENED_ON = datetime.date(2026, 1, 5)


def someone(team, lead, name):
    return PersonFactory(given_name=name, family_name="Tray", care_team=team, lead_coordinator=lead)


def returned(person, coordinator, approver):
    version = plan_services.plan_submit(
        version=complete_plan(person=person, coordinator=coordinator), acting_user=coordinator
    )
    approval.plan_return(version=version, reason="Say who pays for the taxi.", acting_user=approver)
    return version.plan.versions.get(number=version.number + 1)


def signed_off(world, person):
    budget = data.budget_from(world, data.assessment_with_services(world, person, 1), sign_off=True)
    return budget_services.budget_version_sign_off(version=budget, approve=True, note="", acting_user=world.approver)


def awaiting(world, person):
    return data.budget_from(world, data.assessment_with_services(world, person, 1), sign_off=True)


def expired(person, coordinator, *, email):
    invitation = portal_services.invitation_create(
        person=person, email=email, relationship="self", link_base="http://testserver/", acting_user=coordinator
    )
    ran_out = timezone.now() - datetime.timedelta(days=2)
    lifetime = portal_services.INVITATION_LIFETIME
    Invitation.objects.filter(pk=invitation.pk).update(created_at=ran_out - lifetime, expires_at=ran_out)
    return invitation


def everything(team, coordinator, approver, lead, pat=None):
    """One of each thing a coordinator's trays list, for people in `team`; returns what each row is about."""
    world = data.World(team=team, coordinator=coordinator, approver=approver, lead=lead)
    made = {}
    made["returned_plans"] = returned(someone(team, coordinator, "Returned"), coordinator, approver)
    made["budgets_to_tell"] = signed_off(world, someone(team, coordinator, "Signedoff"))
    made["reviews_due"] = approved_plan(
        person=someone(team, coordinator, "Reviewdue"), coordinator=coordinator, approver=approver
    ).plan.reviews.get()
    made["expired_invitations"] = expired(
        someone(team, coordinator, "Invited"), coordinator, email="invited@example.com"
    )
    made["referrals_waiting"] = referral(person=someone(team, coordinator, "Referred"), coordinator=coordinator)
    made["sign_off_waiting"] = awaiting(world, someone(team, coordinator, "Awaiting"))
    made["plans_waiting"] = plan_services.plan_submit(
        version=complete_plan(person=someone(team, coordinator, "Submitted"), coordinator=coordinator),
        acting_user=coordinator,
    )
    return made


@pytest.fixture
def norths(north, alice, priya, leo, jane, pat):
    made = everything(north, alice, priya, leo)
    portal_services.message_send(person=jane, body="Can we talk about the taxi?", acting_user=pat)
    made["unread_messages"] = jane
    return made


@pytest.fixture
def souths(south, charlie, priya, leo, sam, quinn):
    made = everything(south, charlie, priya, leo)
    portal_services.message_send(person=sam, body="Hello from Sam", acting_user=quinn)
    made["unread_messages"] = sam
    return made


def sections(user, **ask):
    found = trays.rows_for(trays.Ask(user=user, now=timezone.now(), **ask), *trays.Tray)
    return {section.source.key: section for section in found}


def names(section):
    return [row.name for row in section.rows]


COORDINATOR_SOURCES = {
    "returned_plans": "Returned Tray",
    "budgets_to_tell": "Signedoff Tray",
    "reviews_due": "Reviewdue Tray",
    "unread_messages": "Jane Smith",
    "expired_invitations": "Invited Tray",
    "referrals_waiting": "Referred Tray",
    "sign_off_waiting": "Awaiting Tray",
    "plans_waiting": "Submitted Tray",
}


def test_it_lists_what_needs_a_coordinator_and_what_waits_and_nothing_of_other_teams(norths, souths, alice):
    found = sections(alice)
    for key, name in COORDINATOR_SOURCES.items():
        assert names(found[key]) == [name], key
        assert found[key].total == 1, key
    assert names(found["plans_not_started"]) == []
    assert not {"referrals_to_decide", "failed_decisions"} & set(found)


def test_the_other_team_sees_only_its_own(norths, souths, charlie):
    found = sections(charlie)
    assert names(found["unread_messages"]) == ["Sam Taylor"]
    for key in COORDINATOR_SOURCES:
        assert len(found[key].rows) == 1, key
        assert found[key].rows[0].person_pk != str(norths["unread_messages"].pk)


def test_each_row_links_to_the_page_that_does_the_work(norths, alice):
    found = sections(alice)
    link = {key: section.rows[0].link for key, section in found.items() if section.rows}
    assert link["returned_plans"] == reverse("careplans:version", kwargs={"pk": norths["returned_plans"].pk})
    assert link["budgets_to_tell"] == reverse("budgets:budget", kwargs={"pk": norths["budgets_to_tell"].pk})
    assert link["reviews_due"] == reverse("careplans:review_record", kwargs={"pk": norths["reviews_due"].pk})
    assert link["unread_messages"] == reverse(
        "portal:staff_messages", kwargs={"person_pk": norths["unread_messages"].pk}
    )
    invited = norths["expired_invitations"].person_id
    assert link["expired_invitations"] == reverse("portal:invite", kwargs={"person_pk": invited})
    assert link["referrals_waiting"] == reverse("eligibility:detail", kwargs={"pk": norths["referrals_waiting"].pk})
    assert link["sign_off_waiting"] == reverse("budgets:budget", kwargs={"pk": norths["sign_off_waiting"].pk})
    assert link["plans_waiting"] == reverse("careplans:version", kwargs={"pk": norths["plans_waiting"].pk})


def test_days_are_counted_from_the_date_the_wait_began(norths, alice):
    today = timezone.localdate()
    found = sections(alice)
    # A referral waits from its screening date, not from when the record was typed in (today).
    assert found["referrals_waiting"].rows[0].days == (today - SCREENED_ON).days > 0
    assert found["reviews_due"].rows[0].since == norths["reviews_due"].due_on
    assert found["expired_invitations"].rows[0].days == 2
    assert found["plans_waiting"].rows[0].days == 0


def test_the_page_shows_the_rows_with_their_links_and_says_whose_people(client, norths, souths, alice):
    client.force_login(alice)
    html = client.get(reverse("casework:home")).content.decode()
    for name in COORDINATOR_SOURCES.values():
        assert name in html
    assert "Sam Taylor" not in html
    assert "The people you are lead coordinator for." in html
    assert reverse("careplans:version", kwargs={"pk": norths["returned_plans"].pk}) in html
    assert f"Waiting {(timezone.localdate() - SCREENED_ON).days} days" in html


def test_my_people_leaves_out_those_another_coordinator_leads_and_my_team_shows_them(client, north, alice, bob, jane):
    bobs = someone(north, bob, "Bobs")
    referral(person=bobs, coordinator=alice)
    referral(person=jane, coordinator=alice)
    assert names(sections(alice)["referrals_waiting"]) == ["Jane Smith"]
    # Screened the same day: in the order they were referred, as the PHB team's queue has them.
    assert names(sections(alice, scope=trays.Scope.TEAM)["referrals_waiting"]) == ["Bobs Tray", "Jane Smith"]
    client.force_login(alice)
    html = client.get(reverse("casework:home")).content.decode()
    assert "The people you are lead coordinator for." in html
    assert "Jane Smith" in html and "Bobs Tray" not in html
    html = client.get(reverse("casework:home") + "?show=team").content.decode()
    assert "Everyone in your care teams" in html
    assert "Jane Smith" in html and "Bobs Tray" in html


def test_an_approved_plan_whose_start_date_has_passed_needs_the_coordinator(jane, alice, priya):
    active = approved_plan(person=jane, coordinator=alice, approver=priya)
    start = timezone.localdate() + datetime.timedelta(days=10)
    change = approved_change(plan=active.plan, coordinator=alice, approver=priya, start=start)
    now = timezone.now()
    assert names(trays.rows_for(trays.Ask(alice, now), trays.Tray.NEEDS_YOU)[3]) == []
    later = trays.Ask(alice, now + datetime.timedelta(days=12))
    section = next(s for s in trays.rows_for(later, trays.Tray.NEEDS_YOU) if s.source.key == "plans_not_started")
    assert names(section) == ["Jane Smith"]
    assert section.rows[0].target == str(change.pk)
    assert section.rows[0].days == 2


def test_a_cancelled_invitation_or_one_sent_again_is_not_in_the_tray(jane, alice):
    cancelled = portal_services.invitation_create(
        person=jane, email="cancelled@example.com", relationship="self", link_base="http://x/", acting_user=alice
    )
    portal_services.invitation_cancel(invitation=cancelled, acting_user=alice)
    expired(jane, alice, email="again@example.com")
    portal_services.invitation_create(
        person=jane, email="again@example.com", relationship="self", link_base="http://x/", acting_user=alice
    )
    later = trays.Ask(alice, timezone.now() + datetime.timedelta(minutes=5))
    section = next(s for s in trays.rows_for(later, trays.Tray.NEEDS_YOU) if s.source.key == "expired_invitations")
    assert section.rows == []


def test_replying_takes_the_person_out_of_the_tray(norths, alice, jane):
    portal_services.message_send(person=jane, body="Yes, I will ring you.", acting_user=alice)
    assert names(sections(alice)["unread_messages"]) == []


def test_a_coordinators_rows_read_their_peoples_kept_facts_once_and_find_what_each_source_finds_alone(
    norths, north, alice, priya, leo, bob
):
    """The rows' statement reads a coordinator's people's journey facts once and looks at only those whose facts
    say a source may have a row for them; what it finds is what each source's own query finds, on the day asked
    and the boundaries of its conditions (a review due on the last day of due soon and the day after, a start
    date just passed, a signed-off budget superseded by one awaiting sign-off)."""
    now = timezone.now()
    world = data.World(team=north, coordinator=alice, approver=priya, lead=leo)
    until = due_soon_until(timezone.localdate(now))
    for name, due in (("Lastday", until), ("Dayafter", until + datetime.timedelta(days=1))):
        review = approved_plan(person=someone(north, alice, name), coordinator=alice, approver=priya).plan.reviews.get()
        Review.objects.filter(pk=review.pk).update(due_on=due)
    starting = approved_plan(person=someone(north, alice, "Starting"), coordinator=alice, approver=priya)
    tomorrow = timezone.localdate(now) + datetime.timedelta(days=1)
    approved_change(plan=starting.plan, coordinator=alice, approver=priya, start=tomorrow)
    superseded = someone(north, alice, "Superseded")
    signed_off(world, superseded)
    awaiting(world, superseded)
    returned(someone(north, bob, "Bobs"), bob, priya)  # another coordinator's: in "My team" only
    hinted = {
        "returned_plans",
        "budgets_to_tell",
        "reviews_due",
        "plans_not_started",
        "sign_off_waiting",
        "plans_waiting",
    }
    seen = set()
    for scope in trays.Scope:
        for moment in (now, now + datetime.timedelta(days=2)):
            ask = trays.Ask(alice, moment, scope=scope)
            sources = trays.sources_for(alice)
            statement = trays.rows_statement(ask, sources, {})
            assert statement.text.count(f'"{trays.KEPT}"') >= 1 + len(hinted)  # read once, asked by each
            kept = sorted(trays._read_rows(ask, sources, {}))
            alone = sorted(row for branch in trays._branches(ask, sources, {}) for row in branch)
            assert kept == alone, (scope, moment)
            seen |= {key for *_, key in kept}
            if moment == now:
                due = {f"{given} {family}" for _, _, given, family, *_, key in kept if key == "reviews_due"}
                assert "Lastday Tray" in due and "Dayafter Tray" not in due
    assert hinted <= seen


def test_the_phb_teams_rows_do_not_read_kept_facts(norths, priya):
    ask = trays.Ask(priya, timezone.now())
    statement = trays.rows_statement(ask, trays.sources_for(priya), {})
    assert f'"{trays.KEPT}"' not in statement.text


# The PHB team


def test_the_phb_team_home_lists_every_teams_referrals_budgets_and_plans_oldest_first(
    client, norths, souths, north, south, alice, charlie, priya, leo
):
    for team, coordinator in ((north, alice), (south, charlie)):
        world = data.World(team=team, coordinator=coordinator, approver=priya, lead=leo)
        active = approved_plan(person=someone(team, coordinator, "Ending"), coordinator=coordinator, approver=priya)
        data.ask_to_end(world, active)
    found = sections(priya)
    assert set(found) == {
        "referrals_to_decide",
        "sign_off_to_decide",
        "plans_to_decide",
        "endings_to_confirm",
        "money_decisions",
        "runs_to_confirm",
    }
    assert sorted(names(found["referrals_to_decide"])) == ["Referred Tray", "Referred Tray"]
    assert found["sign_off_to_decide"].total == 2
    assert sorted(names(found["endings_to_confirm"])) == ["Ending Tray", "Ending Tray"]
    assert found["endings_to_confirm"].rows[0].link == reverse(
        "careplans:ending_decide", kwargs={"pk": found["endings_to_confirm"].rows[0].target}
    )
    assert found["plans_to_decide"].total == 2
    for section in found.values():
        assert [row.since for row in section.rows] == sorted(row.since for row in section.rows)
    row = found["plans_to_decide"].rows[0]
    assert row.link == reverse("careplans:decide", kwargs={"pk": row.target})
    assert found["referrals_to_decide"].rows[0].link.endswith("/decide/")
    client.force_login(priya)
    html = client.get(reverse("casework:home")).content.decode()
    assert html.count('data-testid="tray-row"') == 8
    assert "Messages not sent" not in html.split("</header>")[1]


def test_plans_to_decide_assigned_to_me_unassigned_or_all(client, north, alice, priya, leo):
    plans = [
        plan_services.plan_submit(
            version=complete_plan(person=someone(north, alice, name), coordinator=alice), acting_user=alice
        )
        for name in ("Mine", "Leos", "Nobodys")
    ]
    approval.plan_assign(version=plans[0], acting_user=priya)
    approval.plan_assign(version=plans[1], acting_user=leo)
    for assigned, expected in (
        (trays.Assigned.ALL, ["Mine Tray", "Leos Tray", "Nobodys Tray"]),
        (trays.Assigned.MINE, ["Mine Tray"]),
        (trays.Assigned.UNASSIGNED, ["Nobodys Tray"]),
    ):
        assert names(sections(priya, assigned=assigned)["plans_to_decide"]) == expected
    counts = trays.count(trays.Ask(priya, timezone.now()))
    assert [str(choice.tally) for choice in trays.assigned_choices(counts)] == ["3", "1", "1"]
    client.force_login(priya)
    html = client.get(reverse("casework:home") + "?plans=mine").content.decode()
    assert "Mine Tray" in html and "Nobodys Tray" not in html
    assert "Assigned to Leo." not in html
    assert "Assigned to you (1)" in html


def test_only_the_lead_sees_messages_not_sent(client, north, alice, priya, leo):
    world = data.World(team=north, coordinator=alice, approver=priya, lead=leo)
    data.failed_messages(world, 4)
    found = sections(leo)
    assert found["failed_decisions"].total + found["failed_reminders"].total == 4
    assert found["failed_decisions"].rows[0].link == reverse("careplans:failed_messages")
    assert "failed_decisions" not in sections(priya)
    client.force_login(leo)
    assert "Messages not sent (4)" in client.get(reverse("casework:caseload")).content.decode()


# The header's counts


def test_the_header_counts_match_the_trays(client, norths, souths, alice, priya):
    needs_you = sum(section.total for section in sections(alice).values() if section.source.tray == "needs_you")
    # The plan in force (the review due) has its money flagged too (payments.flagging): each flag a row.
    flags = MoneyFlag.objects.filter(person__lead_coordinator=alice).count()
    assert flags and needs_you == 5 + flags
    client.force_login(alice)
    assert f"Needs you ({5 + flags})" in client.get(reverse("casework:caseload")).content.decode()
    client.force_login(priya)
    header = client.get(reverse("casework:caseload")).content.decode().split("</header>")[0]
    assert "Referrals to decide (2)" in header
    assert "Budgets to sign off (2)" in header
    assert "Plans to decide (2)" in header


def counting_queries(client, url) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url).content.decode()
    # The header's counts (the caseload's banner of reviews due counts too, in a query of its own).
    counting = [
        q["sql"] for q in captured.captured_queries if "AS counted" in q["sql"] and 'AS "overdue"' not in q["sql"]
    ]
    return html.split("</header>")[0], counting


def test_the_header_counts_are_one_query_then_none_until_something_changes(
    client, north, norths, alice, priya, leo, django_capture_on_commit_callbacks
):
    for user in (alice, priya, leo):
        client.force_login(user)
        freshness.stale_now()
        header, counting = counting_queries(client, reverse("casework:caseload"))
        # Not kept: read in the query that loads the signed-in user, no query of their own.
        assert len(counting) == 1 and "team_id_list" in counting[0], user
        # Kept: the next page asks nothing.
        assert counting_queries(client, reverse("casework:caseload"))[1] == [], user
    # Anyone's change (an audited write, once committed) makes the next page count again.
    with django_capture_on_commit_callbacks(execute=True):
        referral(person=someone(north, alice, "Changed"), coordinator=alice)
    client.force_login(priya)
    header, counting = counting_queries(client, reverse("casework:caseload"))
    assert len(counting) == 1
    assert "Referrals to decide (2)" in header


def test_someone_elses_change_shows_in_the_header_at_once(
    client, north, norths, alice, priya, django_capture_on_commit_callbacks
):
    client.force_login(priya)
    assert "Referrals to decide (1)" in client.get(reverse("casework:caseload")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        referral(person=someone(north, alice, "Newer"), coordinator=alice)
    assert "Referrals to decide (2)" in client.get(reverse("casework:caseload")).content.decode()


def test_counts_read_on_a_page_that_shows_none_are_kept_all_the_same(client, norths, priya):
    """A redirect (/ sends staff to their work) shows no header, but its user query read the counts: they are
    kept then, so the next request does not work them out again."""
    client.force_login(priya)
    freshness.stale_now()
    header, counting = counting_queries(client, reverse("home"))
    assert len(counting) == 1 and "team_id_list" in counting[0]
    assert counting_queries(client, reverse("home"))[1] == []
    header, counting = counting_queries(client, reverse("casework:caseload"))
    assert counting == [] and "Referrals to decide (1)" in header


def test_the_home_pages_rows_count_nothing_the_headers_counts_know(norths, alice, priya):
    """Every section's total, "Waiting for others" included, comes from the header's figures: the rows' statement
    counts nothing itself; a view the header does not count (My team) counts in the statement."""
    now = timezone.now()
    for user in (alice, priya):
        counts = trays.count(trays.Ask(user=user, now=now))
        ask = trays.Ask(user=user, now=now)
        shown = [trays.Tray.PHB_TEAM] if user == priya else [trays.Tray.NEEDS_YOU, trays.Tray.WAITING]
        sources = [source for source in trays.sources_for(user) if source.tray in shown]
        known = {s.key for s in sources if trays.known_total(counts, s, ask) is not None}
        assert known == {s.key for s in sources}, user
        assert "AS counted" not in trays.rows_statement(ask, sources, known).text
    team = trays.Ask(user=alice, now=now, scope=trays.Scope.TEAM)
    alices = trays.count(trays.Ask(user=alice, now=now))
    assert trays.known_total(alices, trays.sources_for(alice)[0], team) is None


def test_the_counts_are_kept_for_a_minute_at_most(client, norths, priya):
    client.force_login(priya)
    freshness.stale_now()
    client.get(reverse("casework:caseload"))
    stored = freshness._redis().keys(freshness._prefix() + f"work-counts:{priya.pk}:*")
    assert stored and all(0 < freshness._redis().ttl(key) <= freshness.FRESH_FOR for key in stored)


def test_without_redis_the_counts_are_read_with_the_user_each_time(client, norths, priya, settings, monkeypatch):
    monkeypatch.setattr(freshness, "_resting_until", 0.0)  # put back after the test
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    freshness._redis.cache_clear()
    try:
        client.force_login(priya)
        for _ in range(2):
            header, counting = counting_queries(client, reverse("casework:caseload"))
            assert len(counting) == 1 and "team_id_list" in counting[0]  # still no query of their own
            assert "Referrals to decide (1)" in header
    finally:
        freshness._redis.cache_clear()


def test_the_counts_read_with_the_user_agree_with_the_counts_asked_alone(norths, souths, alice, charlie, priya, leo):
    from people.backends import UserWithTeamsBackend

    for user in (alice, charlie, priya, leo):
        freshness.stale_now()
        loaded = UserWithTeamsBackend().get_user(user.pk)
        request = type("Request", (), {"user": loaded})()
        alone = trays.count(trays.Ask(user, timezone.now())).by_source
        assert trays.counts_for(request).by_source == alone, user
        lacking = ("plans_", "failed_", "endings_", "money_", "runs_")
        found = [n for key, n in alone.items() if not key.startswith(lacking)]
        # Each count found something (but plans not started, failures, endings and money, which these fixtures
        # lack: casework/tests/test_trays_money.py has them).
        assert found and all(found), alone
        # Kept: the next request's user query carries none of them, and the counts are the same.
        again = UserWithTeamsBackend().get_user(user.pk)
        assert not hasattr(again, trays.USER_COUNTS_KEPT)
        assert trays.counts_for(type("Request", (), {"user": again})()).by_source == alone, user


def test_counts_stop_at_the_cap(monkeypatch, north, alice, priya):
    monkeypatch.setattr(trays, "COUNT_UP_TO", 2)
    for k in range(4):
        referral(person=someone(north, alice, f"Many{k}"), coordinator=alice)
    counts = trays.count(trays.Ask(priya, timezone.now()))
    assert counts.by_source["referrals_to_decide"] == 3
    assert str(counts.referrals) == "2+"


def test_no_counts_for_people_who_are_not_staff(client, pat, ada):
    client.force_login(pat)
    response = client.get(reverse("portal:home"), follow=True)
    assert "work_counts" not in response.context
    assert "Needs you" not in response.content.decode()


# The page


def test_staff_land_on_their_tray(client, alice, priya):
    for user in (alice, priya):
        client.force_login(user)
        assert client.get("/").url == reverse("casework:home")


@pytest.mark.parametrize("persona", ["pat", "ada"])
def test_people_who_are_not_staff_are_refused(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("casework:home")).status_code == 404


@pytest.mark.parametrize("query", ["?show=everyone", "?plans=%00", "?show=team&plans=mine&show=x", "?page=x"])
def test_a_query_string_it_does_not_know_shows_the_default(client, alice, priya, query):
    for user in (alice, priya):
        client.force_login(user)
        assert client.get(reverse("casework:home") + query).status_code == 200


def test_the_tray_is_one_audited_list_event(client, norths, alice):
    client.force_login(alice)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    client.get(reverse("casework:home"))
    events = list(AuditEvent.objects.filter(pk__gt=before).values_list("action", "summary"))
    rows = 8 + MoneyFlag.objects.filter(person__lead_coordinator=alice).count()  # each money flag a row
    assert events == [(AuditAction.VIEW_LIST, f"Viewed work tray (showing: my people): {rows} rows")]


def test_a_tray_shows_its_oldest_rows_and_how_many_more(client, north, alice):
    for k in range(trays.ROWS_SHOWN + 2):
        referral(person=someone(north, alice, f"Many{k}"), coordinator=alice, on=SCREENED_ON + datetime.timedelta(k))
    section = sections(alice)["referrals_waiting"]
    assert section.total == trays.ROWS_SHOWN + 2
    assert names(section) == [f"Many{k} Tray" for k in range(trays.ROWS_SHOWN)]
    client.force_login(alice)
    assert "And 2 more." in client.get(reverse("casework:home")).content.decode()


# Queries


def build_rows(world, n):
    """n referrals, n people with an unread message and n invitations that ran out, for the coordinator; the PHB
    team sees the referrals."""
    for person in data.people(world, n):
        referral(person=person, coordinator=world.coordinator)
        expired(person, world.coordinator, email=f"{person.family_name.lower()}@example.com")
    writers = data.people(world, n)
    patient = data.patient_for(*writers)
    Message.objects.bulk_create(
        Message(person=person, sender=patient, from_patient=True, body="Hello") for person in writers
    )


@pytest.mark.parametrize("persona", ["alice", "priya", "leo"])
def test_the_home_page_runs_the_same_queries_for_5_and_50_rows(client, request, north, alice, priya, leo, persona):
    world = data.World(team=north, coordinator=alice, approver=priya, lead=leo)
    user = request.getfixturevalue(persona)
    client.force_login(user)
    counts = {}
    for n in (5, 50):
        build_rows(world, n - (5 if n == 50 else 0))
        freshness.stale_now()  # the worst case: the header's counts worked out
        prepared.forget()  # on a new connection: the rows' statement prepared
        with CaptureQueriesContext(connection) as captured:
            html = client.get(reverse("casework:home")).content.decode()
        counts[n] = len(captured.captured_queries)
        assert html.count('data-testid="tray-row"') >= min(n, trays.ROWS_SHOWN)
    assert counts[5] == counts[50] <= 8
