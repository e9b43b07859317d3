"""A coordinator writes a support plan with the person, completes it, submits it and downloads it."""

import io

import pytest
from pypdf import PdfReader

from careplans.tests.factories import budgeted
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_date(page, prefix, day, month, year):
    page.locator(f"#id_{prefix}_0").fill(day)
    page.locator(f"#id_{prefix}_1").fill(month)
    page.locator(f"#id_{prefix}_2").fill(year)


def missing_count(page):
    return page.get_by_test_id("missing").locator("li").count()


def add_outcome(page, domain, goal, measure):
    page.get_by_role("button", name="Add an outcome").click()
    page.get_by_label("Part of life").select_option(label=domain)
    page.get_by_label("What I want to achieve").fill(goal)
    page.get_by_label("How we will know it is achieved").fill(measure)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your changes have been saved.").wait_for()


def add_item(page, description, category, cost, quantity, how_often, option, outcome):
    page.get_by_role("button", name="Add what the money buys").click()
    page.get_by_label("What the money buys").fill(description)
    page.get_by_label("Category").select_option(label=category)
    page.get_by_label("Cost of one unit").fill(cost)
    page.get_by_label("Quantity").fill(quantity)
    page.get_by_label("How often").select_option(label=how_often)
    page.get_by_label(option).check()
    page.get_by_role("group", name="Which outcomes does this help with?").get_by_label(outcome).check()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your changes have been saved.").wait_for()


def test_a_coordinator_writes_completes_and_submits_a_plan(page, alice, jane):
    budgeted(person=jane, coordinator=alice)
    sign_in(page, "alice", None)
    page.goto(f"/people/{jane.pk}/")
    page.get_by_role("button", name="Start a support plan").click()
    page.get_by_role("button", name="Start the plan").click()
    page.get_by_role("heading", name="Personalised care and support plan").wait_for()
    assert_accessible(page)
    at_start = missing_count(page)

    add_outcome(page, "Social participation and relationships", "Sing in my choir again", "I go every week")
    add_outcome(page, "Daily living and personal care", "Wash and dress with help I choose", "I am ready by 9")
    assert missing_count(page) < at_start
    assert "Add at least one outcome" not in page.get_by_test_id("missing").inner_text()

    add_item(
        page,
        "Personal assistant",
        "Personal care and support",
        "15",
        "8",
        "a week",
        "Direct payment",
        "Wash and dress with help I choose",
    )
    add_item(
        page,
        "Taxi to choir",
        "Transport",
        "12",
        "2",
        "a week",
        "Notional budget (the NHS arranges it)",
        "Sing in my choir again",
    )
    add_item(
        page,
        "Shower seat",
        "Equipment and adaptations",
        "85",
        "1",
        "once",
        "Notional budget (the NHS arranges it)",
        "Wash and dress with help I choose",
    )
    assert page.get_by_test_id("items").locator("tbody tr").count() == 3
    assert page.get_by_test_id("plan-total").inner_text() == "£7,593.57"
    missing = page.get_by_test_id("missing").inner_text()
    assert "Add what the money will buy" not in missing
    # A direct payment brings its own requirements: who receives it, and how much and how often.
    assert "Say who receives the direct payment" in missing

    # The rest of the plan, one part at a time from the draft's task list.
    tasks = page.get_by_test_id("task-list")
    assert "In progress" in page.get_by_test_id("section-money").inner_text()
    tasks.get_by_role("link", name="About the person").click()
    page.get_by_role("heading", name="About the person").wait_for()
    assert "(optional)" not in page.locator("label[for=id_what_matters]").inner_text()
    page.get_by_label("What matters to me").fill("Getting back to my choir and seeing my grandchildren.")
    page.get_by_label("Who monitors the health condition").fill("Dr Khan, my GP")
    assert_accessible(page)
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_text("Your changes have been saved.").wait_for()
    assert page.get_by_test_id("section-about").inner_text() == "Completed"

    tasks.get_by_role("link", name="How the money is managed").click()
    page.get_by_label("A nominee").check()
    page.get_by_label("Their name").fill("Sarah Smith")
    page.get_by_label("Amount of each payment").fill("480")
    page.get_by_label("Every 4 weeks").check()
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_text("Your changes have been saved.").wait_for()

    tasks.get_by_role("link", name="Risks and contingency").click()
    page.get_by_label("Risks and how they are managed").fill("Falls at night: a pendant alarm.")
    page.get_by_label("What happens if support fails").fill("The agency sends cover; Sarah is the back-up.")
    page.get_by_label("Notice before any reduction in the budget, in days").fill("28")
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_text("Your changes have been saved.").wait_for()

    tasks.get_by_role("link", name="Dates, reviews and agreement").click()
    fill_date(page, "start_date", "1", "4", "2026")
    fill_date(page, "first_review_date", "15", "6", "2026")
    page.get_by_label("How the review will be done").fill("A visit at home with my daughter")
    fill_date(page, "agreed_on", "20", "3", "2026")
    page.get_by_label("Signed by the person").check()
    assert_accessible(page)
    page.get_by_role("button", name="Save and return to the plan").click()
    page.get_by_text("Your changes have been saved.").wait_for()

    assert "Everything needed is in the plan" in page.get_by_test_id("missing").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Check the plan and submit it").click()
    page.get_by_role("heading", name="Check the plan before you submit it").wait_for()
    assert_accessible(page)
    page.get_by_role("button", name="Submit the plan to the PHB team").click()
    page.get_by_role("heading", name="Plan submitted").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="Go to the plan").click()
    assert "Submitted to the PHB team" in page.get_by_test_id("status").inner_text()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download this version of the plan (PDF)").click()
    reader = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for expected in [
        "Sing in my choir again",
        "Wash and dress with help I choose",
        "Personal assistant",
        "£6,257.14",
        "Taxi to choir",
        "£1,251.43",
        "Shower seat",
        "£85.00",
        "£7,593.57 a year",
        "15 June 2026",
        "Sarah Smith",
    ]:
        assert expected in text, expected
