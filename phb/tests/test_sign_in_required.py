"""Every page needs sign-in unless it is explicitly public."""

import re
import uuid

import pytest
from django.conf import settings

from tests.url_walk import url_patterns

# Names of the only views anyone may reach without signing in.
PUBLIC = {
    "login",
    "health",
    "admin:login",
    "portal:accept",
    # Signing in with NHS login (people) and CIS2 (staff): their starts and their returns (404 where they are off).
    "portal:nhs_login",
    "portal:accept_nhs_login",
    "portal:nhs_login_callback",
    "accounts:cis2",
    "accounts:cis2_callback",
    # A forgotten password is reset without signing in, of course.
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
}


def example_path(route: str) -> str:
    """A concrete path for a route, with a plausible value in each parameter."""
    route = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), route)
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:path:)?\w+>|<str:\w+>|<slug:\w+>", "x", route)
    # Regex routes (the admin's): fill groups, drop anchors.
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "x", route)
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + route


ROUTES = list(url_patterns())


def test_it_finds_the_routes_it_walks():
    names = {name for _, name, _ in ROUTES}
    assert {"home", "casework:caseload", "people:detail", "login", "health"} <= names


@pytest.mark.parametrize(("route", "name", "view"), ROUTES, ids=[r for r, _, _ in ROUTES])
def test_it_requires_sign_in_except_for_public_pages(client, db, route, name, view):
    if name in PUBLIC:
        assert getattr(view, "login_required", True) is False
        return
    # LoginRequiredMiddleware honours only this flag: no view may set it by accident.
    assert getattr(view, "login_required", True) is not False, f"{route} ({name}) is public but not listed as public"
    response = client.get(example_path(route))
    # Anonymous users are sent to sign in (the admin sends them to its own sign-in page).
    assert response.status_code == 302, f"{route} answered {response.status_code} to an anonymous user"
    assert response["Location"].startswith(
        (settings.LOGIN_URL if settings.LOGIN_URL.startswith("/") else "/sign-in/", "/admin/login/")
    )


def test_it_serves_public_pages_without_sign_in(client, db):
    assert client.get("/sign-in/").status_code == 200
    assert client.get("/health/").status_code == 200
