"""The admin's sign-in page asks for an email address, as the service's own sign-in does (accounts sign in
with their e-mail address; usernames are an internal detail)."""

import re

import pytest
from django.urls import reverse

from people.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def label_and_input(html: str) -> tuple[str, str]:
    label = re.search(r'<label[^>]*for="id_username"[^>]*>(.*?)</label>', html, re.S)[1]
    field = re.search(r'<input[^>]*name="username"[^>]*>', html)[0]
    return re.sub(r"<[^>]+>|:", "", label).strip(), field


def test_the_admin_sign_in_page_asks_for_an_email_address(client):
    html = client.get(reverse("admin:login")).content.decode()
    label, field = label_and_input(html)
    assert label == "Email address"
    assert "Username" not in html
    assert 'type="email"' in field and 'autocomplete="email"' in field


def test_an_administrator_signs_in_to_the_admin_with_their_email_address(client, ada):
    response = client.post(reverse("admin:login"), {"username": ada.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ada.pk)


@pytest.mark.parametrize("persona", ["alice", "leo"])
def test_staff_who_are_not_administrators_are_refused_with_the_services_words(client, request, persona):
    user = request.getfixturevalue(persona)
    response = client.post(reverse("admin:login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()
    assert "_auth_user_id" not in client.session
