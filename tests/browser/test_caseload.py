"""The caseload in a browser: the tabs, a filter and a sort from the page's own controls, the stage tag, and a
page that fits a 320 px screen and passes axe."""

import pytest

from budgets.tests.factories import make_assessment, make_eligible
from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser


def test_a_coordinator_filters_and_sorts_the_caseload_and_can_bookmark_it(page, alice, bob, north):
    adams = PersonFactory(family_name="Adams", care_team=north, lead_coordinator=alice)
    referral(person=adams, coordinator=alice)
    baker = PersonFactory(family_name="Baker", care_team=north, lead_coordinator=alice)
    make_eligible(person=baker, coordinator=alice)
    make_assessment(person=baker, coordinator=alice)
    PersonFactory(family_name="Carter", care_team=north, lead_coordinator=bob)

    sign_in(page, "alice", None)
    page.goto("/people/")
    page.get_by_role("heading", name="Caseload").wait_for()
    table = page.get_by_test_id("caseload-table")
    assert "CARTER" not in table.inner_text()  # Bob leads Carter: not among Alice's people
    assert_accessible(page)

    page.get_by_role("link", name="My team").click()
    page.wait_for_url("**/people/?show=team")
    assert "CARTER" in page.get_by_test_id("caseload-table").inner_text()

    page.get_by_text("Filter by stage, support, route, review or money").click()
    page.get_by_label("Stage").select_option(label="Assessed")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**stage=assessed**")
    rows = page.get_by_test_id("caseload-table").locator("tbody tr")
    assert rows.count() == 1
    assert "BAKER" in rows.first.inner_text()
    assert rows.first.get_by_test_id("stage").inner_text() == "Assessed"
    assert "Work out their indicative budget" in rows.first.get_by_test_id("next-action").inner_text()

    # Sorting by stage keeps the tab and the filter; the header says how the list is sorted.
    page.get_by_role("link", name="Clear search and filters").click()
    page.get_by_test_id("sort-stage").click()
    page.wait_for_url("**sort=stage**")
    assert "show=team" in page.url
    assert page.locator("th[aria-sort='ascending']").inner_text() == "Stage"
    names = page.get_by_test_id("caseload-table").locator("tbody tr td:first-child a").all_inner_texts()
    assert [name.split(",")[0] for name in names] == ["CARTER", "ADAMS", "BAKER"]  # not screened, referred, assessed
    bookmarked = page.url

    # The same address opened afresh shows the same list.
    page.goto(bookmarked)
    assert page.get_by_test_id("caseload-table").locator("tbody tr td:first-child a").all_inner_texts() == names

    # On a phone: opened at 320 px, as the header folds its links into "More" when the page loads.
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(bookmarked)
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)
