"""A coordinator finds a person, adds another, and sees both in the record's history."""

import pytest

from people.models import Person
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_finds_and_adds_people_and_the_audit_trail_shows_both(page, alice, jane):
    page.goto("/sign-in/")
    assert_accessible(page)

    sign_in(page, "alice", None)
    page.get_by_role("heading", name="Your work").wait_for()  # where staff land
    assert "Alice Adams (Care coordinator)" in page.get_by_test_id("signed-in-as").inner_text()
    assert_accessible(page)

    # Find Jane on the caseload by NHS number, typed with spaces as people do.
    page.goto("/people/")
    page.get_by_label("Search by NHS number or name").fill(jane.nhs_number_display)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="SMITH, Jane").click()
    page.get_by_role("heading", name="Jane Smith").wait_for()
    assert_accessible(page)

    # Add a new person; first with a mistake, which the error summary explains.
    page.goto("/people/add/")
    page.get_by_label("NHS number").fill("999 000 0027")
    page.get_by_role("button", name="Add person").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert "Enter a valid NHS number" in summary.inner_text()
    assert_accessible(page)

    page.get_by_label("NHS number").fill("999 000 0034")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Day", exact=True).fill("15")
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_label("Year", exact=True).fill("1984")
    page.get_by_label("Address line 1").fill("1 Park Row")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 5AB")
    page.get_by_role("button", name="Add person").click()
    page.get_by_role("heading", name="Nora Quinn").wait_for()
    assert "Nora Quinn has been added." in page.locator(".nhsuk-notification-banner").inner_text()
    nora = Person.objects.get(nhs_number="9990000034")

    page.get_by_role("link", name="See who has viewed or changed this record").click()
    trail = page.get_by_test_id("audit-trail")
    trail.wait_for()
    assert trail.locator("tr[data-action='create']").count() == 1
    # Views are left out until asked for: changes first.
    assert trail.locator("tr[data-action='view']").count() == 0
    assert "Alice Adams" in trail.inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Show who opened the record too").click()
    assert page.get_by_test_id("audit-trail").locator("tr[data-action='view']").count() >= 1

    # And Jane's history shows Alice's view of her record.
    page.goto(f"/people/{jane.pk}/history/?views=shown")
    jane_trail = page.get_by_test_id("audit-trail")
    assert "Viewed record" in jane_trail.locator("tr[data-action='view']").first.inner_text()
    assert "Nora" not in jane_trail.inner_text()
    assert nora.created_by == alice
