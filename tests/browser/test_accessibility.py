"""The accessibility check itself can fail, and the patient's first page passes it."""

import pytest

from tests.browser.conftest import assert_accessible, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_axe_check_catches_a_known_problem(page):
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)


def test_it_shows_a_patient_only_their_own_record(page, pat, quinn):
    sign_in(page, "pat", None)
    page.get_by_role("heading", name="Jane Smith: personal health budget").wait_for()
    text = page.locator("main").inner_text()
    assert "Jane Smith" in text
    assert "Sam" not in text
    assert_accessible(page)
    # Staff pages do not exist for a patient.
    response = page.goto("/people/")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()


def test_the_only_allowance_is_aria_expanded_on_a_conditional_reveal(page):
    reveal = (
        '<input type="radio" id="r" name="r" aria-controls="conditional-r" aria-expanded="false">'
        '<label for="r">Yes</label><div id="conditional-r"></div>'
    )
    other = '<input type="radio" id="s" name="s" aria-expanded="false"><label for="s">Yes</label>'
    page.set_content(f'<html lang="en"><head><title>t</title></head><body><main>{reveal}</main></body></html>')
    assert_accessible(page)
    page.set_content(f'<html lang="en"><head><title>t</title></head><body><main>{reveal}{other}</main></body></html>')
    with pytest.raises(AssertionError, match="aria-allowed-attr"):
        assert_accessible(page)
