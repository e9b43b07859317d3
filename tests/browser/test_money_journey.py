"""The money in use, from end to end (issue 15, acceptance 5): a plan becomes active and its payment schedule
appears; one member of the PHB team who handles payments makes a payment run and another confirms it; the person
sends a bank statement in the portal; the coordinator matches the one payment still to match; the balance and the
charts on the money page change; the surplus flag leads to a repayment, its letter, the person's response and a
decision by a second member of the PHB team. axe-core checks each new page (the money page again once it
shows spending)."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from careplans import services
from careplans.tests.factories import complete_plan
from tests.browser.conftest import assert_accessible, sign_in
from tests.page_data import finance

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A bank's CSV file whose columns the service does not know (When, What, How much): the plan's first payment,
# £480.00 paid in by the ICB on 1 April 2026, and £45.50 paid to a care agency on 5 April 2026.
STATEMENT = Path(__file__).resolve().parents[2] / "payments" / "tests" / "data" / "money_journey_bank.csv"


def pounds_in(text: str) -> Decimal:
    """The first amount of money in the text ("£4,320.00" → Decimal("4320.00"))."""
    return Decimal(re.search(r"£([\d,]+\.\d\d)", text).group(1).replace(",", ""))


def money_figures(page) -> dict[str, Decimal]:
    """The staff money page's summary, by its rows' test ids."""
    return {
        name: pounds_in(page.get_by_test_id(name).inner_text())
        for name in ("paid-in", "spent", "balance", "surplus", "to-match")
    }


def go_to_payment_runs(page):
    """The header's "Payments" link; on a narrow header (the lead's has more links) it is under "More"."""
    link = page.get_by_test_id("nav-payments")
    if not link.is_visible():
        page.locator("#toggle-menu").click()
    link.click()
    page.get_by_role("heading", name="Payment runs").wait_for()


def pdf_text(download) -> str:
    reader = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)


@pytest.fixture
def pages(browser, live_server):
    """A browser of their own for each person (each signed in once), as people work at their own computers."""
    contexts = []

    def new_page():
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def test_money_from_an_active_plan_to_a_repayment_decided(page, pages, jane, pat, alice, priya, leo):
    # Jane's plan is with the PHB team; Priya and Leo handle payments (an administrator gave them the permission).
    services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice)
    finance(priya)
    finance(leo)

    # Priya approves the plan: it starts on 1 April 2026, so it is active at once and its schedule is written.
    maker = page
    sign_in(maker, "priya", None)
    maker.get_by_role("link", name="Plans to decide").click()
    maker.get_by_test_id("plan-queue").get_by_role("link", name="Jane Smith").click()
    maker.get_by_label("Approve the plan").check()
    maker.get_by_label("The plan is financially appropriate").check()
    maker.get_by_label("The plan is clinically appropriate").check()
    maker.get_by_role("button", name="Record decision").click()
    maker.get_by_role("heading", name="Plan approved").wait_for()
    maker.get_by_role("link", name="Go to the plan").click()
    assert "Active" in maker.get_by_test_id("status").inner_text()
    maker.get_by_test_id("plan-payments").click()
    maker.get_by_role("heading", name="Payments for this plan").wait_for()
    schedule = maker.get_by_test_id("schedule").inner_text()
    assert "1 April 2026 to 28 April 2026" in schedule and "£480.00" in schedule
    assert "To be paid" in schedule
    assert_accessible(maker)

    # The money page before any statement: all paid in (from the schedule) is still in the account, which is more
    # than 8 weeks of payments: the surplus is flagged.
    maker.get_by_test_id("money-link").click()
    maker.get_by_role("heading", name="Money for this plan").wait_for()
    before = money_figures(maker)
    assert before["spent"] == 0 and before["to-match"] == 0
    assert before["balance"] == before["paid-in"] > 0
    flags = maker.get_by_test_id("money-flag").all_inner_texts()
    assert any("Money is building up" in flag for flag in flags), flags
    assert "Nothing has been spent yet" in maker.get_by_test_id("money-items-summary").inner_text()
    assert_accessible(maker)

    # Priya makes a payment run of everything due by today; she cannot confirm her own run.
    go_to_payment_runs(maker)
    assert_accessible(maker)
    maker.get_by_role("button", name="Make the payment run").click()
    made = maker.get_by_text(re.compile(r"Payment run \d+ made: ")).inner_text()
    run_name = re.search(r"Payment run \d+", made).group(0)
    assert "Someone else who handles payments must now confirm it." in made
    assert maker.get_by_test_id("run-status").inner_text() == "Waiting for a second person to confirm"
    assert "Confirm and pay" not in maker.content()
    assert "Sarah Smith" in maker.get_by_test_id("run-lines").inner_text()  # Jane's direct payments, to her nominee
    assert_accessible(maker)

    # Leo, who also handles payments, confirms it: its payments are paid.
    checker = pages()
    sign_in(checker, "leo", None)
    go_to_payment_runs(checker)
    checker.get_by_test_id("runs").get_by_role("link", name=run_name).click()
    checker.get_by_role("button", name="Confirm and pay").click()
    checker.get_by_text(f"{run_name} confirmed: ").wait_for()
    assert checker.get_by_test_id("run-status").inner_text() == "Confirmed and paid"
    assert checker.get_by_test_id("ledger-link").is_visible()

    # Jane sends her bank's statement in the portal, and says which column is which (her bank's are not known).
    person = pages()
    sign_in(person, "pat", None)
    person.get_by_role("link", name="Your money").click()
    person.get_by_role("heading", name="Your money").wait_for()
    assert pounds_in(person.get_by_test_id("balance").inner_text()) == before["balance"]
    assert_accessible(person)
    person.get_by_test_id("add-statement").click()
    with person.expect_file_chooser() as chooser:
        person.get_by_label("Statement file").click()
    chooser.value.set_files(STATEMENT)
    person.get_by_label("Name of the account or card").fill("Jane's direct payment account")
    person.get_by_label("Bank account").check()
    assert_accessible(person)
    person.get_by_role("button", name="Send the statement").click()
    person.wait_for_url("**/money/statements/add/columns/")
    assert_accessible(person)
    person.get_by_label("Date", exact=True).select_option(label="When")
    person.get_by_label("Description (who was paid, or what for)").select_option(label="What")
    person.get_by_label("Amount (optional)").select_option(label="How much")
    person.get_by_label("Day first, like 31/01/2026").check()
    person.get_by_role("button", name="Add the statement").click()
    person.get_by_text("Statement added: 2 new transactions.").wait_for()
    spent = person.get_by_test_id("transactions").inner_text()
    assert "ACME CARE LTD" in spent and "Your care coordinator will check this" in spent
    assert_accessible(person)
    person.get_by_role("link", name="Back to your money").click()
    assert pounds_in(person.get_by_test_id("spent").inner_text()) == Decimal("45.50")
    assert pounds_in(person.get_by_test_id("balance").inner_text()) == before["balance"] - Decimal("45.50")

    # Alice, Jane's coordinator, matches the one payment still to match.
    coordinator = pages()
    sign_in(coordinator, "alice", None)
    coordinator.goto(reverse("people:detail", kwargs={"pk": jane.pk}))
    coordinator.get_by_role("link", name=re.compile(r"version 1")).click()
    coordinator.get_by_test_id("plan-money").click()
    coordinator.get_by_role("heading", name="Money for this plan").wait_for()
    assert money_figures(coordinator)["to-match"] == Decimal("45.50")
    coordinator.get_by_test_id("statements-link").click()
    coordinator.get_by_role("heading", name="Statements and spending").wait_for()
    to_match = coordinator.get_by_test_id("transactions")
    assert "ACME CARE LTD" in to_match.inner_text() and "NHS NORTH ICB" not in to_match.inner_text()
    assert to_match.get_by_test_id("match-form").count() == 1
    assert_accessible(coordinator)
    to_match.get_by_label(re.compile("What was this for")).select_option(label="Personal assistant")
    to_match.get_by_role("button", name=re.compile("^Save")).click()
    coordinator.get_by_text("£45.50 on 5 April 2026 matched.").wait_for()
    coordinator.get_by_test_id("nothing-to-match").wait_for()

    # The balance falls by what was spent, and the charts and their tables show it against the item.
    coordinator.get_by_role("link", name="Payments for this plan").click()
    coordinator.get_by_test_id("money-link").click()
    after = money_figures(coordinator)
    assert after["spent"] == Decimal("45.50") and after["to-match"] == 0
    assert after["paid-in"] == before["paid-in"]
    assert after["balance"] == before["balance"] - Decimal("45.50")
    assert (
        "Most spending on one item was on Personal assistant: £45.50"
        in coordinator.get_by_test_id("money-items-summary").inner_text()
    )
    coordinator.get_by_test_id("money-items").get_by_text("Show the figures as a table").click()
    items = coordinator.get_by_test_id("money-items-table").inner_text()
    assert "Personal assistant" in items and "£45.50" in items
    left = coordinator.get_by_test_id("money-spending-summary").inner_text()
    assert left.startswith(f"£{after['balance']:,} left")
    assert_accessible(coordinator)
    # Jane sees it too: her spending by item names what it was for.
    person.reload()
    assert "on Personal assistant: £45.50" in person.get_by_test_id("money-items-summary").inner_text()

    # Still a surplus: Priya finds the people whose money is building up on the list of people, opens Jane's
    # money from the flag on her page, proposes a repayment and downloads the letter to send.
    maker.goto(reverse("casework:caseload"))
    maker.get_by_text("Filter by stage, support, route, review or money").click()
    maker.get_by_label("Money (optional)").select_option(label="Money is building up")
    maker.get_by_role("button", name="Search").click()
    found = maker.get_by_test_id("caseload-table")
    assert "Money is building up" in found.get_by_test_id("money-flag").all_inner_texts()
    found.get_by_role("link", name="SMITH, Jane").click()
    flagged = maker.get_by_test_id("summary-flags")
    assert "Money is building up" in flagged.inner_text()
    assert_accessible(maker)
    flagged.get_by_role("link", name=re.compile("See the money")).click()
    maker.get_by_role("heading", name="Money for this plan").wait_for()
    assert money_figures(maker)["balance"] == after["balance"]
    flags = maker.get_by_test_id("money-flag").all_inner_texts()
    assert any("Money is building up" in flag for flag in flags), flags
    maker.get_by_test_id("reclaims-link").click()
    maker.get_by_role("heading", name="Repayments and stopping direct payments").wait_for()
    assert_accessible(maker)
    maker.get_by_test_id("propose-reclaim").click()
    maker.get_by_label("Amount to pay back").fill("500.00")
    maker.get_by_label("Which payment period is the money from?").select_option(label="1 April 2026 to 28 April 2026")
    maker.get_by_label("Why should the money be paid back?").fill(
        "More than 8 weeks of payments have built up in the account and have not been used for your support."
    )
    assert_accessible(maker)
    maker.get_by_role("button", name="Propose the repayment and write the letter").click()
    maker.get_by_text("Repayment of £500.00 proposed.").wait_for()
    assert maker.get_by_test_id("reclaim-status").inner_text() == "Letter sent: waiting for a response"
    assert_accessible(maker)
    with maker.expect_download() as download:
        maker.get_by_test_id("letter-link").click()
    letter = pdf_text(download)
    assert "£500.00" in letter and "Jane Smith" in letter
    reclaim_url = maker.url

    # Alice records what Jane said when she rang.
    coordinator.get_by_test_id("reclaims-link").click()
    coordinator.get_by_test_id("reclaims").get_by_role("link", name="Repayment of £500.00").click()
    assert coordinator.url == reclaim_url
    coordinator.get_by_label("What did the person say?").fill("Jane rang: she saved up for a holiday with her PA.")
    day = timezone.localdate()
    coordinator.locator("#id_response_on_0").fill(str(day.day))
    coordinator.locator("#id_response_on_1").fill(str(day.month))
    coordinator.locator("#id_response_on_2").fill(str(day.year))
    coordinator.get_by_role("button", name="Save the response").click()
    coordinator.get_by_text("Response recorded.").wait_for()
    assert "she saved up for a holiday" in coordinator.get_by_test_id("response").inner_text()
    assert coordinator.get_by_test_id("decide").count() == 0  # a coordinator does not decide

    # Leo, a second member of the PHB team, finds it waiting for a decision on his work tray, and decides: taken
    # off the next two payments.
    checker.get_by_test_id("nav-work").click()
    waiting = checker.get_by_test_id("tray-money_decisions")
    assert "The person's response is recorded" in waiting.inner_text()
    waiting.get_by_test_id("tray-link").click()
    checker.get_by_role("heading", name="Decide on the repayment of £500.00").wait_for()
    checker.get_by_label("Yes, go ahead").check()
    checker.get_by_label("Taken off future payments").check()
    checker.get_by_label("How many payments to take it off").fill("2")
    checker.get_by_label("Reasons for the decision").fill("The money built up; Jane agrees some can come back.")
    assert_accessible(checker)
    checker.get_by_role("button", name="Record the decision and write the letter").click()
    checker.get_by_text("Decision recorded. Download the decision letter and send it to Jane Smith.").wait_for()
    assert checker.get_by_test_id("reclaim-status").inner_text() == "Decided: going ahead"
    with checker.expect_download() as download:
        checker.get_by_test_id("decision-letter-link").click()
    assert "£500.00" in pdf_text(download)

    # The repayment comes off the next two payments on the schedule.
    maker.reload()
    assert maker.get_by_test_id("reclaim-status").inner_text() == "Decided: going ahead"
    maker.get_by_role("link", name="Back to repayments and stopping").click()
    maker.get_by_role("link", name="Back to the payments for this plan").click()
    schedule = maker.get_by_test_id("schedule").inner_text()
    assert "£250.00 taken off this payment: part 1 of 2 of a reclaim of £500.00" in schedule
    assert "part 2 of 2" in schedule
    # What the run paid stays paid, as it was.
    assert f"Paid in {run_name.lower()}" in schedule
