"""Reports in a browser (issue 16): a lead opens the dashboard from the header, filters it by care team, opens
the NHS England return, downloads it as CSV, marks the quarter submitted, and downloads the outcomes report; a
coordinator's dashboard is their own care teams'; a patient and an administrator get "Page not found". Each page
passes axe and fits a 320 px screen."""

import csv
import datetime
import io

import pytest

from reports.tests.conftest import person, phb, screen
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_work_trays import fits_320

pytestmark = pytest.mark.browser

D = datetime.date


@pytest.fixture
def two_budgets(north, south, alice, charlie, priya):
    """A direct payment in the North team from 1 July 2026 and a notional budget in the South team from April."""
    ben = person("Ben Baker", north, alice)
    screen(ben, alice, funding="chc")
    phb(ben, coordinator=alice, approver=priya, start=D(2026, 7, 1), options=("direct_payment",))
    sam = person("Sam Shah", south, charlie)
    screen(sam, charlie, funding="chc")
    phb(sam, coordinator=charlie, approver=priya, start=D(2026, 4, 1), options=("notional",))


def open_dashboard(page) -> None:
    """The header's Dashboard link, from the "More" menu when the header has folded it in there (a lead's header
    has more links than fit)."""
    link = page.get_by_test_id("nav-reports")
    if not link.is_visible():
        page.locator("#toggle-menu").click()
    link.click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_a_lead_filters_the_dashboard_downloads_the_return_and_the_outcomes_and_marks_the_quarter_submitted(
    page, leo, north, two_budgets
):
    sign_in(page, "leo", None)
    open_dashboard(page)
    assert "Everyone you can see: 2 people" in page.get_by_test_id("dashboard-people").inner_text()
    assert_accessible(page)
    fits_320(page)

    page.get_by_text("Filter by care team, route, coordinator or dates").click()
    page.get_by_label("Care team").select_option(label=north.name)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**/reports/?*team={north.pk}*")
    assert "who matches the filters: 1 person" in page.get_by_test_id("dashboard-people").inner_text()

    page.get_by_role("link", name="NHS England quarterly return").click()
    page.get_by_role("heading", name="Personal health budgets, Q2 2026-27: July to September 2026").wait_for()
    assert_accessible(page)
    fits_320(page)
    with page.expect_download() as download:
        page.get_by_test_id("return-csv").click()
    assert download.value.suggested_filename == "phb-return-2026-27-q2.csv"
    rows = list(csv.reader(io.StringIO(download.value.path().read_text())))
    assert rows[0][0] == "Category" and rows[-1][0] == "Total"

    page.get_by_role("button", name="Mark the return for Q2 2026-27 submitted").click()
    page.get_by_text("The return for Q2 2026-27 is marked submitted.").wait_for()
    assert "No figure has changed since." in page.get_by_test_id("submitted").inner_text()
    assert page.get_by_role("button", name="Mark the return for Q2 2026-27 submitted").count() == 0

    open_dashboard(page)
    page.get_by_role("link", name="Outcomes report: what people said at their reviews").click()
    page.get_by_role("heading", name="Outcomes report").wait_for()
    assert_accessible(page)
    fits_320(page)
    with page.expect_download() as download:
        page.get_by_test_id("outcomes-csv").click()
    assert download.value.suggested_filename.startswith("outcomes-")


def test_a_coordinator_sees_their_own_care_teams_and_a_patient_gets_page_not_found(
    page, browser, live_server, alice, north, south, pat, two_budgets
):
    sign_in(page, "alice", None)
    open_dashboard(page)
    # Ben and Jane (the patient's record) in the North team; not Sam, in the South team.
    assert "Everyone you can see: 2 people" in page.get_by_test_id("dashboard-people").inner_text()
    assert page.get_by_role("link", name="NHS England quarterly return").count() == 0
    teams = page.get_by_label("Care team").locator("option").all_text_contents()
    assert north.name in teams and south.name not in teams

    patient = browser.new_context(base_url=live_server.url).new_page()
    sign_in(patient, "pat", None)
    patient.wait_for_url(lambda url: "/sign-in/" not in url)
    response = patient.goto("/reports/")
    assert response.status == 404
    assert patient.get_by_role("heading", name="Page not found").is_visible()
    patient.context.close()


def test_a_dashboard_shown_from_its_last_copy_says_when_it_was_worked_out(
    page, monkeypatch, leo, north, alice, two_budgets
):
    from phb import freshness

    monkeypatch.setattr(freshness, "SLOW_MS", 0)  # every dashboard counts as slow to work out
    sign_in(page, "leo", None)
    open_dashboard(page)
    assert page.get_by_test_id("dashboard-kept").count() == 0  # worked out for this page
    person("Cy Cole", north, alice)
    freshness.stale_now()  # as the change's commit does
    page.reload()
    notice = " ".join(page.get_by_test_id("dashboard-kept").inner_text().split())
    assert notice.startswith("Information: These figures were worked out at ")
    assert "Newer figures are being worked out now: refresh the page in a minute to see them." in notice
    assert "Everyone you can see: 2 people" in page.get_by_test_id("dashboard-people").inner_text()
    assert_accessible(page)
    fits_320(page)
