"""The tariff form fits a 320 px wide screen: the points grid stacks each part of life, every box labelled."""

import pytest

from budgets.calculate import LEVEL_LABELS, NeedLevel
from budgets.tests.factories import make_tariff
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("address", ["new", "change"])
def test_the_tariff_form_has_no_sideways_scroll_at_320_px(page, leo, address):
    tariff = make_tariff(lead=leo)
    sign_in(page, "leo", None)
    page.set_viewport_size({"width": 320, "height": 720})
    page.goto("/tariffs/new/" if address == "new" else f"/tariffs/{tariff.pk}/")
    page.get_by_role("button", name="Save tariff").wait_for()
    wide, window = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= window, f"the tariff form is {wide} px wide in a {window} px window"
    # Each box still says which level it is for, on the screen as well as to a screen reader.
    first_row = page.get_by_test_id("points-grid").locator("tbody tr").first
    for level in NeedLevel:
        assert first_row.get_by_text(LEVEL_LABELS[level].capitalize(), exact=True).is_visible()
    assert_accessible(page)
