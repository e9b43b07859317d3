"""A person's record history fits a 320 px wide screen (it was 435 px wide): the table stacks each event,
and long values (an e-mail address, a plan's words) wrap, with and without the views shown."""

import pytest

from people import services as people_services
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("query", ["", "?views=shown"])
def test_the_record_history_has_no_sideways_scroll_at_320_px(page, alice, jane, query):
    people_services.person_update(
        person=jane,
        expected_version=jane.version,
        acting_user=alice,
        email="jane.a.very.long.address.for.a.narrow.screen@example-health-centre.nhs.uk",
        address_line_1="Flat 12, Wellington Court, 3 Woodhouse Square Gardens",
        wants_review_reminders=False,
    )
    sign_in(page, "alice", None)
    page.set_viewport_size({"width": 320, "height": 720})
    page.goto(f"/people/{jane.pk}/history/{query}")
    trail = page.get_by_test_id("audit-trail")
    trail.wait_for()
    assert "Email address: " in trail.inner_text()
    wide, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"the record history is {wide} px wide in a {window} px window"
    assert_accessible(page)
