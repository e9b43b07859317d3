"""From assessment to a signed-off indicative budget and its letter."""

import io

import pytest
from pypdf import PdfReader

from budgets.calculate import Domain
from budgets.tests.factories import make_eligible, make_tariff
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def add_service(page, name, funding, cost, units, unit, period):
    page.get_by_role("button", name="Add a service").click()
    page.get_by_label("Service", exact=True).fill(name)
    page.get_by_label(funding).check()
    page.get_by_label("Cost of one unit").fill(cost)
    page.get_by_label("Number of units").fill(units)
    page.get_by_label("Unit", exact=True).select_option(label=unit)
    page.get_by_label("Every").select_option(label=period)
    page.get_by_role("button", name="Add service").click()
    page.get_by_text(f"{name} has been added.").wait_for()


def test_a_coordinator_works_out_a_budget_the_phb_team_signs_it_off_and_the_letter_has_the_amounts(
    page, alice, priya, leo, jane
):
    make_tariff(lead=leo)
    make_eligible(person=jane, coordinator=alice)

    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_role("button", name="Assess needs").click()
    page.get_by_role("heading", name="Assess health and wellbeing needs").wait_for()
    page.get_by_label("Who took part").fill("Jane and her daughter")
    page.get_by_label("Some support").check()
    for domain in Domain:
        group = page.locator(f"#div_id_level_{domain.value}")
        group.get_by_label("Moderate").check()
    page.get_by_role("button", name="Save assessment").click()
    page.get_by_role("heading", name="Assessment on").wait_for()
    assert_accessible(page)

    add_service(page, "Home care", "NHS, bought per unit (spot purchase)", "20", "10", "hours", "a week")
    add_service(page, "Day centre", "NHS block contract", "55", "2", "days", "a week")
    add_service(page, "Physiotherapy", "NHS, bought per unit (spot purchase)", "45", "2", "sessions", "4 weeks")
    assert page.get_by_test_id("services").locator("tbody tr").count() == 3

    page.get_by_role("button", name="Calculate the indicative budget").click()
    page.get_by_role("heading", name="Work out the indicative budget").wait_for()
    # £10,428.57 home care + £1,173.21 physiotherapy; the block-contract day centre is not counted.
    assert page.get_by_test_id("costed-total").inner_text() == "£11,601.78"
    # 8 parts of life at moderate need: 8 x 4 points x £250.
    assert page.get_by_test_id("ras-total").inner_text() == "£8,000.00"
    assert "Day centre" in page.get_by_test_id("costed-breakdown").inner_text()
    assert "Not counted" in page.get_by_test_id("costed-breakdown").inner_text()
    assert page.get_by_test_id("ras-breakdown").locator("tbody tr").count() == 9
    assert page.locator("[data-flag='ras_costed_differ']").is_visible()
    assert_accessible(page)

    page.get_by_label("The lower of the two").check()
    page.get_by_label("Adjustment (optional)", exact=True).fill("1500")
    page.get_by_label("Reason for the adjustment").fill("Support at night during winter")
    page.get_by_role("button", name="Save indicative budget").click()
    page.get_by_role("heading", name="Indicative budget 1").wait_for()
    assert page.get_by_test_id("annual").inner_text() == "£9,500.00"
    assert "Waiting for PHB team sign-off" in page.get_by_test_id("sign-off").inner_text()
    assert "must sign off this budget" in page.get_by_test_id("letter-problem").inner_text()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, "priya", None)
    page.get_by_role("link", name="Budgets to sign off").click()
    queue = page.get_by_test_id("sign-off-queue")
    assert "more than 10%" in queue.inner_text()
    assert_accessible(page)
    queue.get_by_role("link", name="Jane Smith").click()
    page.get_by_label("Sign off: the person can be told this budget").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("There are no budgets waiting for sign-off.").wait_for()
    sign_out(page)

    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_test_id("budget-panel").get_by_role("link", name="£9,500.00 a year").click()
    assert "Signed off by Priya Patel" in page.get_by_test_id("sign-off").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the letter to Jane (PDF)").click()
    reader = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    # £9,500 x 7 / 365 = £182.19 a week
    assert "£9,500.00 a year" in text
    assert "£182.19 a week" in text
