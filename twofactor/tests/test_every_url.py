"""Every staff URL sends a session without its second factor to the factor step (acceptance 1, the table).

For each URL pattern of the site and of Django's admin, a concrete address is made: the pages in
tests/test_page_queries.PAGES are built by their own builders on a real, whole record (tests/page_data.py);
the rest (PDFs, POST-only actions, the admin) get the record's ids where the route names a record and a
made-up id otherwise (the redirect happens before any view runs, so it cannot depend on the id). Then a
staff member signed in with the password only opens it: with an authenticator set up they are sent to give
a code, without one to set one up, the address asked for kept in `next`. The URL patterns that stay open
without the factor are exactly OPEN: sign-in, sign-out, /health/ and the factor pages themselves.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from people.tests import personas
from tests import page_data as data
from tests.test_page_queries import NOT_PAGES, PAGES, POST_ONLY, example_path, stand_in_letters
from tests.url_walk import url_patterns
from twofactor.tests.helpers import authenticator

pytestmark = pytest.mark.django_db

# URL names a signed-in member of staff reaches before giving the second factor, and why.
OPEN = {
    "login": "signing in",
    "logout": "signing out",
    "admin:login": "signing in (the admin's form)",
    "admin:logout": "signing out (the admin's button)",
    "health": "/health/ for load balancers",
    "twofactor:verify": "giving the factor",
    "twofactor:verify_recovery": "giving the factor with a recovery code",
    "twofactor:enrol": "setting the factor up (asks for the password again itself when it was long ago)",
    "twofactor:reauth": "confirming it is you (sends to the factor step itself when there is one)",
    "twofactor:passkey_verify_begin": "giving the factor with a passkey (JSON, POST only)",
    "twofactor:passkey_verify_complete": "giving the factor with a passkey (JSON, POST only)",
}
# The admin's catch-all pattern (an unknown admin address) has no name.
UNNAMED_ADMIN = "admin/(?P<url>.*)$"
N = 2


@pytest.fixture(scope="module")
def addresses(django_db_setup, django_db_blocker):
    """(name, route, address) for every URL pattern, built on one whole record. Kept for the module, whose
    tests each run in a savepoint inside this transaction."""
    from people.tests.factories import CareTeamFactory, UserFactory
    from phb.roles import Role

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=personas.FAST_PASSWORD_HASHERS),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        stand_in_letters(patch)
        north = CareTeamFactory(name="North Leeds community team")
        w = data.World(
            team=north,
            coordinator=UserFactory(username="alice", first_name="Alice", last_name="Adams", teams=[north]),
            approver=UserFactory(username="priya", first_name="Priya", last_name="Patel", role=Role.APPROVER),
            lead=UserFactory(username="leo", first_name="Leo", last_name="Lewis", role=Role.LEAD),
        )
        w.records = {N: data.whole_record(w, N)}
        record = w.records[N]
        builders = {page.route: page.build for page in reversed(PAGES)}
        ids = {
            "person_pk": record.person.pk,
            "pk": record.active.pk,
            "version_pk": record.active.pk,
            "plan_id": record.active.plan_id,
            "object_id": w.coordinator.pk,
            "id": w.coordinator.pk,
        }
        found = []
        for route, name, _ in url_patterns():
            if name in builders:
                address = builders[name](w, N).url
            elif route == UNNAMED_ADMIN:
                address = "/admin/no-such-page/"
            else:
                address = concrete(route, ids)
            found.append((name or route, route, address))
        yield found
        transaction.set_rollback(True)


def concrete(route: str, ids: dict) -> str:
    """An address for a route that no page builder makes: the record's ids where the route names them."""
    route = re.sub(r"\^\(\?P<app_label>[^)]*\)/\$", "people/", route)
    route = route.replace("<path:content_type_id>", "1")
    route = re.sub(r"<path:(\w+)>", lambda match: str(ids.get(match[1], 1)), route)
    route = re.sub(r"<(\w+)>", lambda match: str(ids.get(match[1], 1)), route)
    path = example_path(route)
    return path


def signed_in_without_factor(user) -> Client:
    client = Client()
    client.force_login(user, second_factor=False)
    return client


def factor_step(response) -> tuple[str, str] | None:
    """(the factor page, the `next` it keeps) when the response sends there, else None."""
    if response.status_code != 302:
        return None
    location = urlsplit(response["Location"])
    for route in ("twofactor:verify", "twofactor:enrol"):
        if location.path == reverse(route):
            return route, parse_qs(location.query).get("next", [""])[0]
    return None


def test_the_table_covers_every_url_pattern_and_the_open_ones_exist(addresses):
    names = {name for name, _, _ in addresses}
    assert set(OPEN) <= names, sorted(set(OPEN) - names)
    assert len(addresses) > 100
    assert any(route.startswith("admin/") for _, route, _ in addresses)
    # Every model the admin shows is in the table.
    for model in admin.site._registry:
        label = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        assert label in names, label


@pytest.mark.parametrize(
    ("who", "with_app", "step"),
    [("alice", True, "twofactor:verify"), ("leo", False, "twofactor:enrol"), ("ada", True, "twofactor:verify")],
)
def test_every_staff_url_sends_a_session_without_its_factor_to_the_factor_step(addresses, request, who, with_app, step):
    user = request.getfixturevalue(who)
    if with_app:
        authenticator(user)
    client = signed_in_without_factor(user)
    wrong = []
    for name, _, address in addresses:
        if name in OPEN:
            continue
        methods = ["get", "post"] if NOT_PAGES.get(name) == POST_ONLY else ["get"]
        for method in methods:
            response = getattr(client, method)(address)
            if factor_step(response) != (step, address):
                wrong.append(
                    f"{method.upper()} {address} ({name}): {response.status_code} {response.get('Location', '')}"
                )
    assert not wrong, f"Not sent to {step}:\n" + "\n".join(wrong)


def test_sign_in_sign_out_health_and_the_factor_pages_stay_open_without_the_factor(addresses, alice):
    authenticator(alice)
    client = signed_in_without_factor(alice)
    opened = {}
    for name, _, address in addresses:
        if name in OPEN and name not in {"logout", "admin:logout"}:
            opened[name] = client.get(address)
    assert all(factor_step(response) is None for name, response in opened.items() if name != "twofactor:reauth"), {
        name: (response.status_code, response.get("Location")) for name, response in opened.items()
    }
    assert opened["twofactor:verify"].status_code == 200
    assert opened["twofactor:verify_recovery"].status_code == 200
    assert opened["health"].status_code in (200, 503)
    # Confirming it is you needs the factor first, and says so by sending there itself.
    assert factor_step(opened["twofactor:reauth"])[0] == "twofactor:verify"
    # Signing out works without the factor (and is a POST).
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and factor_step(response) is None
    assert "_auth_user_id" not in client.session


def test_a_patient_is_never_sent_to_the_factor_step(addresses, pat):
    client = signed_in_without_factor(pat)
    sent = [address for name, _, address in addresses if name not in OPEN and factor_step(client.get(address))]
    assert not sent


def test_a_staff_session_that_gave_its_factor_is_not_sent_back(addresses, alice):
    client = Client()
    client.force_login(alice)
    sent = [address for name, _, address in addresses if name not in OPEN and factor_step(client.get(address))]
    assert not sent
