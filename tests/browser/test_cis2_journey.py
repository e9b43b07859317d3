"""Staff sign in with NHS CIS2 (their NHS Care Identity), through the local OpenID Connect provider run as its own
process: a mapped role lands on that role's home page with no second factor asked; an unmapped role is refused."""

import pytest
from django.core.cache import cache

from accounts.models import Cis2CodeKind, Cis2RoleMapping
from people.models import User
from phb.models import AuditAction, AuditEvent
from phb.roles import Role
from tests.browser.conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIENT = "phb-cis2"


@pytest.fixture
def cis2_on(settings, oidc_provider):
    """CIS2 switched on, pointing at the local provider, with the scopes and assurance level settings.py asks for."""
    configured = settings.OIDC_PROVIDERS["cis2"]
    settings.OIDC_PROVIDERS = {"cis2": {**configured, **oidc_provider.client(CLIENT)}}
    assert "accounts.cis2_middleware.Cis2RolesMiddleware" in settings.MIDDLEWARE
    cache.clear()
    return oidc_provider


def queue_sign_in(provider, role_code: str) -> None:
    provider.next_sign_in(
        CLIENT,
        sub="cis2-dana",
        userinfo={
            "email": "dana.lee@nhs.net",
            "given_name": "Dana",
            "family_name": "Lee",
            "nhsid_nrbac_roles": [
                {
                    "person_roleid": "555000000001",
                    "role_code": role_code,
                    "role_name": '"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"',
                    "activity_codes": ["B0058"],
                    "org_code": "RR8",
                }
            ],
            "selected_roleid": "555000000001",
        },
    )


@pytest.mark.parametrize(
    ("app_role", "says"),
    [
        (Role.COORDINATOR, "The people you are lead coordinator for."),
        (Role.LEAD, "Everything waiting for the PHB team, oldest first."),
    ],
    ids=["coordinator", "lead"],
)
def test_a_mapped_cis2_role_signs_in_to_that_roles_home_page(page, cis2_on, app_role, says):
    Cis2RoleMapping.objects.create(code="R8000", kind=Cis2CodeKind.ROLE, role=app_role)
    queue_sign_in(cis2_on, "S8000:G8000:R8000")

    page.goto("/sign-in/")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with NHS Care Identity").click()

    page.get_by_role("heading", name="Your work").wait_for()
    assert says in page.get_by_role("main").inner_text()
    assert "/second-factor/" not in page.url
    assert User.objects.get(email="dana.lee@nhs.net").role == app_role
    assert_accessible(page)


def test_an_unmapped_cis2_role_is_refused(page, cis2_on):
    Cis2RoleMapping.objects.create(code="R8000", kind=Cis2CodeKind.ROLE, role=Role.COORDINATOR)
    queue_sign_in(cis2_on, "S0080:G0450:R5080")

    page.goto("/sign-in/")
    page.get_by_role("button", name="Sign in with NHS Care Identity").click()

    page.get_by_role("heading", name="You could not be signed in").wait_for()
    assert "does not give you access to this service" in page.get_by_role("main").inner_text()
    assert_accessible(page)
    assert not User.objects.filter(email="dana.lee@nhs.net").exists()
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, summary__startswith="CIS2 refused").exists()
    page.get_by_role("link", name="Go back to sign in").click()
    page.get_by_role("button", name="Sign in with NHS Care Identity").wait_for()
