"""Staff see completed reviews: a review's own page, a plan's reviews with the trend in each part of life, the
reviews in the plan's timeline, and the review form's own words boxes inside their outcome's fieldset."""

import datetime
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from careplans import approval, review_history, reviews, services
from careplans.models import Review, ReviewKind, ReviewStatus
from careplans.tests.factories import approved_change, complete_plan
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(jane, alice, priya):
    version = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    return approval.plan_approve(
        version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya
    )


def record(version, review, user, **overrides):
    """Records the review with answers that differ field by field, so a page shows which went where."""
    outcomes = list(version.outcomes.all())
    values = {
        "completed_on": datetime.date(2026, 6, 10),
        "outcome_progress": {
            str(outcomes[0].key): ("achieved", "I sang at the spring concert"),
            str(outcomes[1].key): ("not_yet", ""),
        },
        "domain_ratings": {"social": "better", "daily_living": "worse"},
        "money_enough": True,
        "money_notes": "Enough for now",
        "used_as_planned": False,
        "use_notes": "Taxis were not always needed",
        "safety_notes": "One fall in May; the pendant alarm worked",
        "satisfaction": "very_satisfied",
        "decision": "continue",
    }
    values.update(overrides)
    done, following, _ = reviews.review_complete(review=review, acting_user=user, **values)
    return done, following


def text_of(response) -> str:
    """The page's main text with tags taken out and spaces squeezed (what a reader sees, in order)."""
    html = response.content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    # A responsive table's cell headings are for small screens (hidden from screen readers): not the text here.
    main = re.sub(r'<span class="nhsuk-table-responsive__heading" aria-hidden="true">[^<]*</span>', "", main)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)).replace(" .", ".").strip()


# The review's page


def test_the_review_page_shows_everything_the_person_answered_and_the_coordinator_recorded(client, alice, active):
    first = Review.objects.get(plan=active.plan)
    done, _ = record(active, first, alice)
    client.force_login(alice)
    response = client.get(reverse("careplans:review", kwargs={"pk": done.pk}))
    page = text_of(response)
    assert "Scheduled review on 10 June 2026" in page
    assert "Done" in response.context["status"].words
    # Progress per outcome, in the person's own words.
    assert "Sing in my choir again Achieved In their own words: “I sang at the spring concert”" in page
    assert "Wash and dress with help I choose Not yet" in page
    # Better, the same or worse in each part of life, in the order of the parts of life.
    assert "Daily living and personal care Got worse Social participation and relationships Got better" in page
    # The money, safety, satisfaction and the decision, under the questions the form asked.
    assert "Was the money enough? Yes Enough for now" in page
    assert "Was the money used as planned? No Taxis were not always needed" in page
    assert "Safety and risks One fall in May; the pendant alarm worked" in page
    assert "How satisfied is the person with their budget? Very satisfied" in page
    assert "What happens next? Continue the plan unchanged" in page
    # Who recorded it, and when (the moment it was saved, from the audit trail).
    recorded = AuditEvent.objects.get(action=AuditAction.RECORD_REVIEW, object_id=str(done.pk)).at
    assert response.context["review"].recorded_at == recorded
    assert f"Recorded by Alice Adams, {timezone.localtime(recorded).day} " in page


def test_viewing_a_review_is_recorded_as_a_view_of_the_persons_record(client, priya, active):
    review = Review.objects.get(plan=active.plan)
    client.force_login(priya)
    assert client.get(reverse("careplans:review", kwargs={"pk": review.pk})).status_code == 200
    viewed = AuditEvent.objects.get(action=AuditAction.VIEW, object_id=str(review.pk))
    assert (viewed.actor, viewed.person_id, viewed.summary) == (
        priya,
        active.plan.person_id,
        "Viewed the scheduled review due by 15 June 2026",
    )


@pytest.mark.parametrize(("persona", "status"), [("charlie", 404), ("pat", 404), ("priya", 200), ("leo", 200)])
def test_a_review_is_seen_by_whoever_may_see_the_person_and_nobody_else(client, request, active, persona, status):
    review = Review.objects.get(plan=active.plan)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("careplans:review", kwargs={"pk": review.pk})).status_code == status
    assert client.get(reverse("careplans:plan_reviews", kwargs={"pk": active.plan_id})).status_code == status


def test_a_review_still_due_offers_recording_only_to_the_persons_care_team(client, alice, priya, active):
    review = Review.objects.get(plan=active.plan)
    url = reverse("careplans:review", kwargs={"pk": review.pk})
    record_url = reverse("careplans:review_record", kwargs={"pk": review.pk})
    client.force_login(alice)
    page = client.get(url).content.decode()
    assert "This review has not been recorded yet." in page
    assert f'href="{record_url}"' in page
    client.force_login(priya)
    assert f'href="{record_url}"' not in client.get(url).content.decode()


def test_a_review_of_a_plan_not_started_yet_offers_no_recording(client, jane, alice, priya):
    """The service refuses a review of a plan not in force, so the page offers no button for it."""
    future = timezone.localdate() + datetime.timedelta(days=10)
    draft = complete_plan(person=jane, coordinator=alice)
    draft.outcomes.update(target_date=None)
    draft = services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=alice,
        start_date=future,
        first_review_date=future + datetime.timedelta(days=30),
    )
    version = services.plan_submit(version=draft, acting_user=alice)
    approval.plan_approve(version=version, financially_appropriate=True, clinically_appropriate=True, acting_user=priya)
    review = Review.objects.get(plan=version.plan)
    client.force_login(alice)
    page = client.get(reverse("careplans:review", kwargs={"pk": review.pk})).content.decode()
    assert reverse("careplans:review_record", kwargs={"pk": review.pk}) not in page


# The plan's reviews


def test_the_plans_reviews_list_each_review_and_the_trend_in_each_part_of_life(client, alice, active):
    first, following = record(active, Review.objects.get(plan=active.plan), alice)
    asked = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    record(
        active,
        asked,
        alice,
        completed_on=datetime.date(2026, 7, 1),
        domain_ratings={"social": "same", "daily_living": "better"},
        decision="amend",
    )
    client.force_login(alice)
    response = client.get(reverse("careplans:plan_reviews", kwargs={"pk": active.plan_id}))
    page = text_of(response)
    # Every review, newest first: the next one due, then the two done.
    assert "3 reviews" in page
    assert [row[0].pk for row in response.context["rows"]] == [following.pk, asked.pk, first.pk]
    assert "Continue the plan unchanged" in page and "Change the plan" in page
    assert "Very satisfied with the budget" in page
    assert "1 of 2 outcomes achieved" in page
    # The trend: a row per review done, a column per part of life, and the totals.
    trend = response.context["trend"]
    assert [label for _, label in trend.domains] == [
        "Daily living and personal care",
        "Social participation and relationships",
    ]
    assert [(review.pk, changes) for review, changes in trend.rows] == [
        (
            asked.pk,
            [
                ("Daily living and personal care", "Got better"),
                ("Social participation and relationships", "Stayed the same"),
            ],
        ),
        (
            first.pk,
            [("Daily living and personal care", "Got worse"), ("Social participation and relationships", "Got better")],
        ),
    ]
    assert "1 July 2026 Got better Stayed the same 10 June 2026 Got worse Got better" in page
    assert "Daily living and personal care 1 0 1 Social participation and relationships 1 1 0" in page
    viewed = AuditEvent.objects.get(action=AuditAction.VIEW, object_id=str(active.plan_id))
    assert viewed.summary == "Viewed the plan's reviews"


def test_the_trend_marks_a_part_of_life_not_rated_at_a_review():
    def review(pk, ratings):
        rows = [SimpleNamespace(domain=domain, change=change) for domain, change in ratings.items()]
        return SimpleNamespace(pk=pk, status=ReviewStatus.COMPLETED, domain_ratings=SimpleNamespace(all=lambda: rows))

    due = SimpleNamespace(pk=3, status=ReviewStatus.DUE)
    trend = review_history.domain_trend([due, review(2, {"physical_health": "worse"}), review(1, {"social": "better"})])
    assert [value for value, _ in trend.domains] == ["physical_health", "social"]
    assert [changes for _, changes in trend.rows] == [
        [("Physical health", "Got worse"), ("Social participation and relationships", "Not rated")],
        [("Physical health", "Not rated"), ("Social participation and relationships", "Got better")],
    ]
    assert [(t["label"], t["better"], t["same"], t["worse"]) for t in trend.totals] == [
        ("Physical health", 0, 0, 1),
        ("Social participation and relationships", 1, 0, 0),
    ]


@pytest.mark.parametrize(
    ("counts", "widths"),
    [
        ({"better": 1, "same": 1, "worse": 1}, [(0, 40, "#007f3b"), (40, 40, "#768692"), (80, 40, "#d5281b")]),
        ({"better": 2, "same": 1, "worse": 0}, [(0, 80, "#007f3b"), (80, 40, "#768692")]),
        ({"better": 0, "same": 0, "worse": 3}, [(0, 120, "#d5281b")]),
        ({"better": 1, "same": 1, "worse": 0}, [(0, 60, "#007f3b"), (60, 60, "#768692")]),
        ({"better": 0, "same": 0, "worse": 0}, []),
    ],
)
def test_the_trend_bar_draws_the_same_counts_as_the_table(counts, widths):
    assert [(r["x"], r["width"], r["colour"]) for r in review_history.bar(counts)] == widths


# The plan's timeline


def timeline_lines(client, version) -> list[str]:
    html = client.get(reverse("careplans:version", kwargs={"pk": version.pk})).content.decode()
    block = html[html.index('data-testid="timeline"') : html.index("</ol>", html.index('data-testid="timeline"'))]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip() for line in block.split("<li")[1:]]


def test_the_timeline_shows_reviews_scheduled_asked_for_done_moved_and_cancelled(client, alice, priya, active):
    scheduled = Review.objects.get(plan=active.plan)
    asked = reviews.review_request(plan=active.plan, reason="health_changed", acting_user=alice)
    done, following = record(active, scheduled, alice)
    # A change of plan that starts at once: the reviews still to do move to it.
    second = approved_change(plan=active.plan, coordinator=alice, approver=priya, start=timezone.localdate())
    approval.plan_end(
        version=second,
        reason="consent_withdrawn",
        ended_on=timezone.localdate(),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    client.force_login(alice)
    lines = timeline_lines(client, second)
    reviews_lines = [line for line in lines if "review" in line.lower()]
    assert any("Review scheduled, due by 15 June 2026" in line for line in reviews_lines)
    assert any("Unscheduled review asked for by Alice Adams" in line and "health has changed" in line for line in lines)
    assert any(
        "Review done on 10 June 2026. Recorded by Alice Adams. What happens next: continue the plan unchanged." in line
        for line in lines
    )
    assert any("2 reviews moved to version 2. Moved by Priya Patel." in line for line in lines)
    cancelled = [line for line in lines if "cancelled" in line and "Cancelled by Alice Adams" in line]
    assert len(cancelled) == 2
    # Every line about a review links to its page; a review's lines come after the event that made it.
    html = client.get(reverse("careplans:version", kwargs={"pk": second.pk})).content.decode()
    for review in (scheduled, asked, done, following):
        assert reverse("careplans:review", kwargs={"pk": review.pk}) in html
    approved = next(n for n, line in enumerate(lines) if "version 1 approved" in line)
    first_scheduled = next(n for n, line in enumerate(lines) if "Review scheduled, due by 15 June 2026" in line)
    assert approved < first_scheduled
    recorded = next(n for n, line in enumerate(lines) if "Review done on 10 June 2026" in line)
    assert recorded < next(n for n, line in enumerate(lines) if "Review scheduled, due by 10 June 2027" in line)
    assert Review.objects.filter(plan=active.plan, status=ReviewStatus.CANCELLED).count() == 2


def test_a_review_recorded_before_the_audit_trail_keeps_it_is_placed_at_the_end_of_its_day():
    day = datetime.date(2026, 6, 10)
    row = {
        "id": "0" * 8 + "-0000-0000-0000-" + "0" * 12,
        "kind": ReviewKind.SCHEDULED,
        "status": ReviewStatus.COMPLETED,
        "due_on": day,
        "reason": "",
        "created_at": timezone.make_aware(datetime.datetime(2025, 6, 1, 9)),
        "completed_on": day,
        "decision": "continue",
        "plan_version_id": None,
        "recorded_at": None,
        "requested_by": "",
        "completed_by": "",
    }
    scheduled, done = review_history.review_entries([row], [])
    assert timezone.localtime(done.at).date() == day
    assert timezone.localtime(done.at).time() == datetime.time(23, 59, 59)
    assert done.detail == "What happens next: continue the plan unchanged."


# The review form


class Fieldsets(HTMLParser):
    """Each fieldset's legend text and the names of the fields inside it, and each label's text by its `for`."""

    def __init__(self):
        super().__init__()
        self.open, self.fieldsets, self.labels, self.ids = [], [], {}, {}
        self._text, self._label_for, self._in_legend = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self.open.append({"legend": "", "fields": []})
        elif tag == "legend":
            self._in_legend, self._text = True, []
        elif tag == "label":
            self._label_for, self._text = attrs.get("for"), []
        elif tag in ("textarea", "input") and attrs.get("name"):
            self.ids[attrs.get("id")] = attrs["name"]
            for fieldset in self.open:
                fieldset["fields"].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self.fieldsets.append(self.open.pop())
        elif tag == "legend":
            self.open[-1]["legend"], self._in_legend = " ".join("".join(self._text).split()), False
        elif tag == "label" and self._label_for:
            self.labels[self._label_for] = " ".join("".join(self._text).split())
            self._label_for = None

    def handle_data(self, data):
        self._text.append(data)


def test_each_own_words_box_is_inside_its_outcomes_fieldset_with_its_own_label(client, alice, active):
    review = Review.objects.get(plan=active.plan)
    client.force_login(alice)
    parser = Fieldsets()
    parser.feed(client.get(reverse("careplans:review_record", kwargs={"pk": review.pk})).content.decode())
    names = {name: element_id for element_id, name in parser.ids.items()}
    for n, outcome in enumerate(active.outcomes.order_by("created_at", "id"), start=1):
        words = f"words_{outcome.key}"
        [group] = [f for f in parser.fieldsets if f["legend"] == f"Outcome {n}"]
        assert words in group["fields"] and f"progress_{outcome.key}" in group["fields"]
        # The box's accessible name is its own label, naming its outcome.
        assert parser.labels[names[words]] == f"Outcome {n} in their own words (optional)"
        [progress] = [f for f in parser.fieldsets if f["legend"] == f"Progress on outcome {n}: {outcome.goal}"]
        assert words not in progress["fields"]
    assert len({parser.labels[names[f"words_{o.key}"]] for o in active.outcomes.all()}) == 2
