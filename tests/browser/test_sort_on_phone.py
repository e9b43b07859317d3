"""Sorting a list on a phone: at 320 px NHS.UK's responsive table hides its head, so a list that sorts keeps it
as one "Sort by" row of the sortable headers (static/css/app.css). The links there sort the list, the page does
not scroll sideways and passes axe; at 1280 px the head is the table's usual header row."""

import datetime

import pytest

from eligibility.tests.factories import referral
from people.tests.factories import PersonFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 320, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def family_names(table) -> list[str]:
    """The people's family names down the list, in the order the page shows them."""
    names = table.locator("tbody tr td:first-child a").all_inner_texts()
    return [name.split(",")[0].split()[-1].upper() for name in names]


def fits_a_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)


# Whether the element is on screen where a finger lands: what lies at its centre is it or inside it (a
# visually hidden header is a 1 px box clipped away, so something else is hit there).
ON_SCREEN = """e => {
  const box = e.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return box.width > 1 && box.right <= window.innerWidth && e.contains(hit);
}"""


def sorts_on_a_phone(page, table, testid: str, label: str) -> None:
    """The sort link is on screen, in a row that shows the sortable headers and no other."""
    link = table.get_by_test_id(testid)
    link.scroll_into_view_if_needed()
    assert link.inner_text() == label
    assert link.evaluate(ON_SCREEN)
    headers = table.locator("thead th")
    shown = [th.inner_text() for th in headers.all() if th.evaluate(ON_SCREEN)]
    assert shown == table.locator("thead th[aria-sort]").all_inner_texts()


def header_row_as_before(page, table) -> None:
    """At 1280 px: one header row, every column header visible in it, and no "Sort by" before them."""
    head = table.locator("thead")
    assert head.locator("tr").count() == 1
    headers = head.locator("th").all()
    assert all(th.is_visible() for th in headers)
    first_row = table.locator("tbody tr").first.bounding_box()
    assert head.bounding_box()["height"] < first_row["height"] * 3
    widths = [th.bounding_box()["width"] for th in headers]
    assert sum(widths) == pytest.approx(table.bounding_box()["width"], abs=8)  # side by side, as table cells
    assert page.evaluate("getComputedStyle(document.querySelector('thead tr'), '::before').content") == "none"


def test_a_coordinator_sorts_the_caseload_on_a_phone(page, alice, north):
    for family_name in ["Baker", "Cole", "Adams"]:
        PersonFactory(family_name=family_name, care_team=north, lead_coordinator=alice)
    sign_in(page, "alice", None)
    page.set_viewport_size(PHONE)
    page.goto("/people/")
    table = page.get_by_test_id("caseload-table")
    assert family_names(table) == ["ADAMS", "BAKER", "COLE"]  # by name, A to Z
    sorts_on_a_phone(page, table, "sort-name", "Name")
    assert table.locator("th[aria-sort='ascending']").inner_text() == "Name"
    fits_a_phone(page)

    table.get_by_test_id("sort-name").click()
    page.wait_for_url("**sort=-name**")
    assert family_names(table) == ["COLE", "BAKER", "ADAMS"]  # Z to A
    assert table.locator("th[aria-sort='descending']").inner_text() == "Name"
    fits_a_phone(page)

    page.set_viewport_size(DESKTOP)
    header_row_as_before(page, table)


def test_the_phb_team_sorts_the_referrals_queue_on_a_phone(page, alice, priya, north):
    screened = {"Cole": 1, "Adams": 10, "Baker": 20}  # the day in January 2026 each was referred
    for family_name, day in screened.items():
        person = PersonFactory(family_name=family_name, care_team=north, lead_coordinator=alice)
        referral(person=person, coordinator=alice, on=datetime.date(2026, 1, day))
    sign_in(page, "priya", None)
    page.set_viewport_size(PHONE)
    page.goto("/referrals/")
    table = page.get_by_test_id("queue")
    assert family_names(table) == ["COLE", "ADAMS", "BAKER"]  # longest waiting first
    sorts_on_a_phone(page, table, "sort-name", "Person")
    sorts_on_a_phone(page, table, "sort-waiting", "Waiting")
    fits_a_phone(page)

    table.get_by_test_id("sort-name").click()
    page.wait_for_url("**sort=name**")
    assert family_names(table) == ["ADAMS", "BAKER", "COLE"]
    assert table.locator("th[aria-sort='ascending']").inner_text() == "Person"
    fits_a_phone(page)

    table.get_by_test_id("sort-waiting").click()
    page.wait_for_url("**sort=waiting**")
    assert family_names(table) == ["BAKER", "ADAMS", "COLE"]  # fewest days waiting first
    fits_a_phone(page)

    page.set_viewport_size(DESKTOP)
    header_row_as_before(page, table)
