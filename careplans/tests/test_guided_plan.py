"""Writing a plan as a guided task: the draft's task list, one part of the plan at a time, check your
answers before submitting, and a confirmation panel after submitting and after every decision that says
what was done, which letter was made and who was told."""

import re

import pytest
from django.urls import reverse

from careplans import services
from careplans.models import PlanVersion, Status
from careplans.tests.factories import budgeted, complete_plan
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def page(client, name, version, **query):
    url = reverse(name, kwargs={"pk": version.pk})
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.get(url)


@pytest.fixture
def draft(jane, alice):
    """A plan just started: nothing written yet."""
    budget = budgeted(person=jane, coordinator=alice)
    return services.plan_start(person=jane, budget_version=budget, acting_user=alice)


def statuses(html: str) -> dict[str, str]:
    found = re.findall(r'data-testid="section-(\w+)">(?:<strong[^>]*>)?([^<]+)', html)
    return dict(found)


def test_a_new_draft_lists_every_part_of_the_plan_as_not_started_but_the_coordinator(client, alice, draft):
    client.force_login(alice)
    html = page(client, "careplans:version", draft).text
    assert statuses(html) == {
        "about": "In progress",  # a new plan names its care coordinator
        "outcomes": "Not started",
        "support": "Not started",
        "money": "Not started",
        "safety": "Not started",
        "agreement": "Not started",
    }
    edit = reverse("careplans:edit", kwargs={"pk": draft.pk})
    assert f'href="{edit}?section=about"' in html and 'href="#outcomes"' in html


def test_a_complete_draft_has_every_part_completed_and_offers_to_check_it(client, alice, jane):
    version = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    html = page(client, "careplans:version", version).text
    assert set(statuses(html).values()) == {"Completed"}
    assert reverse("careplans:check", kwargs={"pk": version.pk}) in html
    assert "Change the rest of the plan" not in html


def test_one_part_of_the_plan_shows_only_its_fields_and_says_which_are_optional(client, alice, draft):
    client.force_login(alice)
    response = page(client, "careplans:edit", draft, section="about")
    form = response.context["form"]
    assert set(form.fields) == {"what_matters", "about_me", "helped_by", "care_coordinator", "health_monitor"}
    html = response.text
    assert "<h1>About the person</h1>" in html
    # Needed before submitting: never "(optional)"; the rest say so.
    label = re.search(r'<label[^>]*for="id_what_matters"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert "optional" not in label
    label = re.search(r'<label[^>]*for="id_about_me"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert "(optional)" in label


def test_saving_one_part_changes_only_that_part(client, alice, draft):
    client.force_login(alice)
    url = reverse("careplans:edit", kwargs={"pk": draft.pk}) + "?section=safety"
    response = client.post(
        url, {"revision": draft.revision, "risks": "Falls at night", "contingency": "", "reduction_notice_days": "28"}
    )
    assert response.status_code == 302
    saved = PlanVersion.objects.get(pk=draft.pk)
    assert (saved.risks, saved.reduction_notice_days, saved.what_matters) == ("Falls at night", 28, "")
    html = page(client, "careplans:version", draft).text
    assert statuses(html)["safety"] == "In progress"
    assert "Still needed: write what happens if the support fails (contingency)" in html


def test_an_unknown_part_of_the_plan_is_a_404(client, alice, draft):
    client.force_login(alice)
    assert page(client, "careplans:edit", draft, section="nonsense").status_code == 404


def test_checking_a_plan_with_something_missing_goes_back_to_the_list(client, alice, draft):
    client.force_login(alice)
    response = page(client, "careplans:check", draft)
    assert response["Location"] == reverse("careplans:version", kwargs={"pk": draft.pk})


def test_check_your_answers_shows_every_part_then_submitting_shows_a_panel(client, alice, jane):
    version = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    html = page(client, "careplans:check", version).text
    assert "Check the plan before you submit it" in html
    for heading in ("About the person", "Outcomes", "Support and costs", "How the money is managed"):
        assert heading in html
    assert html.count("?section=") >= 8  # a change link on each answer
    response = client.post(reverse("careplans:submit", kwargs={"pk": version.pk}))
    assert response["Location"] == reverse("careplans:confirmation", kwargs={"pk": version.pk})
    panel = client.get(response["Location"]).text
    assert '<h1 class="nhsuk-panel__title">Plan submitted</h1>' in panel
    assert "Alice Adams sent the plan to the PHB team" in panel


def test_an_approval_panel_names_the_letter_and_who_was_emailed(client, alice, jane, priya):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    client.force_login(priya)
    response = client.post(
        reverse("careplans:decide", kwargs={"pk": submitted.pk}),
        {"decision": "approve", "financially_appropriate": "on", "clinically_appropriate": "on"},
    )
    assert response["Location"] == reverse("careplans:confirmation", kwargs={"pk": submitted.pk})
    html = client.get(response["Location"]).text
    assert "Plan approved" in html
    assert "Approval letter made and kept on Jane's record" in html
    assert f"An e-mail about the decision is being sent to {alice.email}" in html
    assert AuditEvent.objects.filter(actor=priya, action=AuditAction.VIEW, summary__contains="confirmation").exists()


def test_a_return_panel_links_to_the_copy_to_change(client, alice, jane, priya):
    submitted = services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    client.force_login(priya)
    client.post(
        reverse("careplans:decide", kwargs={"pk": submitted.pk}),
        {"decision": "return", "return_reason": "Say who covers the weekends"},
    )
    html = page(client, "careplans:confirmation", submitted).text
    draft = PlanVersion.objects.get(plan=submitted.plan, status=Status.DRAFT)
    assert "Plan returned for changes" in html
    assert reverse("careplans:version", kwargs={"pk": draft.pk}) in html
    assert "Return notice to the coordinator made" in html


def test_a_draft_has_no_confirmation_yet(client, alice, draft):
    client.force_login(alice)
    assert page(client, "careplans:confirmation", draft)["Location"] == reverse(
        "careplans:version", kwargs={"pk": draft.pk}
    )


def test_the_task_list_is_for_whoever_may_write_the_plan(client, priya, draft):
    client.force_login(priya)
    html = page(client, "careplans:version", draft).text
    assert 'data-testid="task-list"' not in html
    assert "?section=" not in html


def test_outcomes_are_changed_on_the_plans_page_not_a_form_of_their_own(client, alice, draft):
    client.force_login(alice)
    assert page(client, "careplans:edit", draft, section="outcomes").status_code == 404


def test_a_plan_changed_after_it_was_checked_is_not_submitted_unseen(client, alice, bob, jane):
    version = complete_plan(person=jane, coordinator=alice)
    checked = version.revision
    # Bob changes the risks while Alice reads the plan through with Jane.
    services.plan_update(version=version, expected_revision=checked, acting_user=bob, risks="Falls; and the stairs")
    client.force_login(alice)
    response = client.post(reverse("careplans:submit", kwargs={"pk": version.pk}), {"revision": checked})
    assert response["Location"] == reverse("careplans:check", kwargs={"pk": version.pk})
    assert PlanVersion.objects.get(pk=version.pk).status == Status.DRAFT
    message = [str(m) for m in response.wsgi_request._messages][0]
    assert "changed by Bob" in message and "The plan was not submitted." in message
