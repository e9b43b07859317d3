"""Every page of the money in use is reached by a link, never by typing an address: from the plan, its payments
page and its money page for the care team and the PHB team, and from "Your money" in the portal's navigation for
the person. A link shown opens (the page asks the same access function); someone who may not see the plan sees
no link to it."""

import re

import pytest
from django.urls import reverse

from careplans.tests.factories import approved_plan

pytestmark = pytest.mark.django_db


def links(response) -> dict[str, str]:
    """The page's links by their data-testid."""
    html = response.content.decode()
    return {testid: href for href, testid in re.findall(r'<a [^>]*href="([^"]+)"[^>]*data-testid="([^"]+)"', html)}


def plan_url(name: str, plan) -> str:
    return reverse(name, kwargs={"plan_id": plan.pk})


def opened(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("who", ["alice", "leo", "priya"])
def test_the_payments_page_links_to_the_money_statements_and_repayments_and_each_opens(client, active, who, request):
    user = request.getfixturevalue(who)
    response = opened(client, user, plan_url("payments:schedule", active.plan))
    assert response.status_code == 200
    found = links(response)
    expected = {
        "money-link": plan_url("payments:money", active.plan),
        "statements-link": plan_url("payments:statements", active.plan),
        "reclaims-link": plan_url("payments:reclaims", active.plan),
    }
    assert {key: found.get(key) for key in expected} == expected
    for url in expected.values():
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["alice", "leo"])
def test_the_money_page_links_to_the_schedule_statements_and_repayments(client, active, who, request):
    response = opened(client, request.getfixturevalue(who), plan_url("payments:money", active.plan))
    found = links(response)
    assert found["schedule-link"] == plan_url("payments:schedule", active.plan)
    assert found["statements-link"] == plan_url("payments:statements", active.plan)
    assert found["reclaims-link"] == plan_url("payments:reclaims", active.plan)
    assert client.get(found["reclaims-link"]).status_code == 200


def test_the_plan_links_to_its_money_beside_its_payments(client, active, alice):
    response = opened(client, alice, reverse("careplans:version", kwargs={"pk": active.pk}))
    found = links(response)
    assert found["plan-payments"] == plan_url("payments:schedule", active.plan)
    assert found["plan-money"] == plan_url("payments:money", active.plan)
    assert client.get(found["plan-money"]).status_code == 200


def test_a_coordinator_of_another_team_gets_no_page_and_so_no_links(client, active, charlie):
    for name in ("payments:schedule", "payments:money"):
        response = opened(client, charlie, plan_url(name, active.plan))
        assert response.status_code == 404
        assert "money-link" not in links(response) and "reclaims-link" not in links(response)


def test_the_person_finds_your_money_in_the_portals_navigation_marked_as_here_on_their_money_pages(
    client, jane, pat, alice, priya
):
    approved_plan(person=jane, coordinator=alice, approver=priya)  # in force: the statements page lists them
    home = opened(client, pat, reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()
    money_url = reverse("portal:money", kwargs={"pk": jane.pk})
    assert f'<a href="{money_url}">Your money</a>' in home
    for page in ("portal:money", "portal:statements"):
        html = client.get(reverse(page, kwargs={"pk": jane.pk})).content.decode()
        assert f'<a href="{money_url}" aria-current="page">Your money</a>' in html, page
    assert client.get(money_url).status_code == 200


def test_the_portal_links_only_to_the_persons_own_money(client, jane, pat, sam, quinn):
    html = opened(client, quinn, reverse("portal:person", kwargs={"pk": sam.pk})).content.decode()
    assert reverse("portal:money", kwargs={"pk": sam.pk}) in html
    assert reverse("portal:money", kwargs={"pk": jane.pk}) not in html
    assert client.get(reverse("portal:money", kwargs={"pk": jane.pk})).status_code in (302, 403, 404)
