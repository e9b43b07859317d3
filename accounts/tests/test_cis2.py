"""NHS CIS2 for staff, against a real OpenID Connect provider run as its own process (tests/oidc_provider.py): the
app role comes from the CIS2 roles through the mappings the administrator edits, a change to a mapping takes effect
at the next request, every refusal is audited and signs no one in, staff passwords stop when CIS2 is on, and a
CIS2 session gives no second factor."""

from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts import cis2
from accounts.cis2_middleware import Cis2RolesMiddleware
from accounts.models import Cis2CodeKind, Cis2Identity, Cis2RoleMapping
from people.models import User
from people.tests.factories import PASSWORD
from phb.models import AuditAction, AuditEvent
from phb.roles import Role

pytestmark = pytest.mark.django_db

CLIENT = "phb-cis2"
MIDDLEWARE = "accounts.cis2_middleware.Cis2RolesMiddleware"
CLINICAL_PRACTITIONER = "S8000:G8000:R8000"
ADMIN_ROLE = "S8001:G8005:R8003"
PHB_TEAM_ACTIVITY = "B0360"


@pytest.fixture
def cis2_on(settings, oidc_provider):
    """CIS2 switched on, pointing at the local provider, with the scopes and assurance level settings.py asks for."""
    configured = settings.OIDC_PROVIDERS["cis2"]
    settings.OIDC_PROVIDERS = {"cis2": {**configured, **oidc_provider.client(CLIENT)}}
    assert MIDDLEWARE in settings.MIDDLEWARE
    cache.clear()
    return oidc_provider


@pytest.fixture
def coordinator_mapping(db):
    return Cis2RoleMapping.objects.create(
        code="R8000", kind=Cis2CodeKind.ROLE, role=Role.COORDINATOR, description="Clinical practitioner access role"
    )


def nrbac(role_code=CLINICAL_PRACTITIONER, activities=(), roleid="555000000001", org="RR8"):
    return {
        "person_roleid": roleid,
        "role_code": role_code,
        "role_name": '"Clinical":"Clinical Provision":"Clinical Practitioner Access Role"',
        "activity_codes": list(activities),
        "org_code": org,
    }


def staff_claims(*roles, email="dana.lee@nhs.net", **changes) -> dict:
    claims = {
        "email": email,
        "given_name": "Dana",
        "family_name": "Lee",
        "nhsid_nrbac_roles": list(roles) or [nrbac()],
    }
    return {**claims, **changes}


def go_through(client) -> object:
    """Follows the browser's way: our start page → the provider's /authorize → our callback."""
    start = client.get(reverse("accounts:cis2"))
    assert start.status_code == 302, start.content
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def sign_in(client, provider, *roles, sub="cis2-dana", fault=None, **changes):
    provider.next_sign_in(CLIENT, sub=sub, userinfo=staff_claims(*roles, **changes), fault=fault)
    return go_through(client)


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refusals():
    return AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, summary__startswith="CIS2 refused")


def password_sign_in(client, user) -> bool:
    client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    return client.session.get("_auth_user_id") == str(user.pk)


# Signing in with a mapped role


@pytest.mark.parametrize("app_role", [Role.COORDINATOR, Role.APPROVER, Role.LEAD])
def test_a_mapped_role_signs_in_a_new_account_with_that_role_and_lands_on_its_home_page(
    client, cis2_on, app_role, alice
):
    Cis2RoleMapping.objects.create(code="R8000", kind=Cis2CodeKind.ROLE, role=app_role)
    response = sign_in(client, cis2_on)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = signed_in_user(client)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "dana.lee@nhs.net",
        "dana.lee@nhs.net",
        "Dana",
        "Lee",
    )
    assert user.role == app_role and not user.has_usable_password() and not user.teams.exists()
    assert Cis2Identity.objects.get(subject="cis2-dana").user == user
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"] == reverse("casework:home")
    tray = client.get(home["Location"])
    assert tray.status_code == 200, "a CIS2 session is asked for no second factor"
    assert "second-factor" not in tray.content.decode()
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.CREATE, object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(actor=user, action=AuditAction.SIGN_IN).exists()


def test_the_authorisation_request_asks_for_the_rbac_roles_and_the_assurance_level(
    client, cis2_on, coordinator_mapping
):
    sign_in(client, cis2_on)
    asked = cis2_on.authorize_requests()[-1]["query"]
    assert set(asked["scope"].split()) >= {"openid", "profile", "email", "nationalrbacaccess"}
    assert asked["acr_values"] == "AAL3_ANY" and asked["code_challenge_method"] == "S256"
    assert cis2_on.token_requests()[-1]["accepted"]


def test_an_existing_staff_account_with_cis2s_email_address_is_linked_and_takes_the_mapped_role(client, cis2_on, alice):
    Cis2RoleMapping.objects.create(code=CLINICAL_PRACTITIONER, kind=Cis2CodeKind.ROLE, role=Role.LEAD)
    sign_in(client, cis2_on, email="ALICE@example.nhs.uk")

    alice.refresh_from_db()
    assert signed_in_user(client) == alice and alice.role == Role.LEAD
    assert list(alice.teams.all()) != [] and Cis2Identity.objects.get(user=alice).subject == "cis2-dana"
    change = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(alice.pk), summary__contains="Role")
    assert change.changes == {"role": [Role.COORDINATOR, Role.LEAD]}


def test_a_later_sign_in_finds_the_account_by_its_cis2_subject_not_its_address(client, cis2_on, coordinator_mapping):
    sign_in(client, cis2_on)
    first = signed_in_user(client)
    client.logout()
    sign_in(client, cis2_on, email="dana.lee@new-trust.nhs.net")
    assert signed_in_user(client) == first and User.objects.count() == 1
    assert Cis2Identity.objects.get(user=first).last_signed_in_at is not None


def test_an_activity_code_mapping_gives_its_role(client, cis2_on):
    Cis2RoleMapping.objects.create(code=PHB_TEAM_ACTIVITY, kind=Cis2CodeKind.ACTIVITY, role=Role.APPROVER)
    sign_in(client, cis2_on, nrbac("S0080:G0450:R5080", activities=["B0058", PHB_TEAM_ACTIVITY]))
    assert signed_in_user(client).role == Role.APPROVER


def test_a_mapping_of_the_role_code_wins_over_its_activities(client, cis2_on, coordinator_mapping):
    Cis2RoleMapping.objects.create(code=PHB_TEAM_ACTIVITY, kind=Cis2CodeKind.ACTIVITY, role=Role.APPROVER)
    sign_in(client, cis2_on, nrbac(activities=[PHB_TEAM_ACTIVITY]))
    assert signed_in_user(client).role == Role.COORDINATOR


def test_the_role_chosen_at_sign_in_decides_among_several(client, cis2_on, coordinator_mapping):
    Cis2RoleMapping.objects.create(code="R8003", kind=Cis2CodeKind.ROLE, role=Role.LEAD)
    roles = [nrbac(roleid="111"), nrbac(ADMIN_ROLE, roleid="222")]
    sign_in(client, cis2_on, *roles, selected_roleid="222")
    assert signed_in_user(client).role == Role.LEAD

    client.logout()
    sign_in(client, cis2_on, *roles, selected_roleid="111")
    assert signed_in_user(client).role == Role.COORDINATOR


def test_several_roles_that_map_differently_with_none_chosen_are_refused(client, cis2_on, coordinator_mapping):
    Cis2RoleMapping.objects.create(code="R8003", kind=Cis2CodeKind.ROLE, role=Role.LEAD)
    response = sign_in(client, cis2_on, nrbac(roleid="111"), nrbac(ADMIN_ROLE, roleid="222"))
    assert response.status_code == 403 and "cannot tell which to use" in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.exists()
    assert "map to 2 roles" in refusals().get().summary


# Refusals


def test_an_unmapped_role_is_refused_and_audited_and_no_one_is_signed_in(client, cis2_on, coordinator_mapping):
    response = sign_in(client, cis2_on, nrbac("S0080:G0450:R5080", activities=["B0058"]))

    assert response.status_code == 403
    assert cis2.NOT_MAPPED in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.exists() and not Cis2Identity.objects.exists()
    assert refusals().get().summary == "CIS2 refused: no CIS2 role used maps to a role in this service"


def test_a_chosen_role_that_is_not_among_their_roles_is_refused(client, cis2_on, coordinator_mapping):
    response = sign_in(client, cis2_on, nrbac(roleid="111"), selected_roleid="999")
    assert response.status_code == 403 and signed_in_user(client) is None


@pytest.mark.parametrize("fault", ["wrong_state", "wrong_nonce", "expired", "bad_signature", "access_denied"])
def test_a_tampered_or_refused_return_signs_no_one_in_and_is_audited(client, cis2_on, coordinator_mapping, fault):
    response = sign_in(client, cis2_on, fault=fault)

    assert response.status_code == 400 and cis2.TRY_AGAIN in response.content.decode()
    assert signed_in_user(client) is None and not User.objects.exists() and not Cis2Identity.objects.exists()
    assert refusals().count() == 1


def test_a_return_without_a_sign_in_started_in_this_browser_is_refused(client, cis2_on):
    response = client.get(reverse("accounts:cis2_callback") + "?code=stolen&state=guessed")
    assert response.status_code == 400 and refusals().get().summary.startswith("CIS2 refused: no sign-in")


def test_a_patients_email_address_in_cis2_never_signs_in_as_the_patient(client, cis2_on, coordinator_mapping, pat):
    response = sign_in(client, cis2_on, email=pat.email.upper())

    assert response.status_code == 403 and signed_in_user(client) is None
    assert not Cis2Identity.objects.exists() and User.objects.get(pk=pat.pk).role == Role.PATIENT
    assert refusals().get().summary == "CIS2 refused: CIS2's email address is a patient account's"


def test_a_switched_off_staff_account_is_not_signed_in(client, cis2_on, coordinator_mapping, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = sign_in(client, cis2_on, email=alice.email)
    assert response.status_code == 403 and signed_in_user(client) is None and not Cis2Identity.objects.exists()


def test_with_cis2_off_both_pages_are_not_found(client, settings):
    settings.OIDC_PROVIDERS = {}
    assert client.get(reverse("accounts:cis2")).status_code == 404
    assert client.get(reverse("accounts:cis2_callback") + "?code=x&state=y").status_code == 404


def test_cis2_unavailable_says_so_and_is_audited(client, settings):
    settings.OIDC_PROVIDERS = {"cis2": {"issuer": "http://127.0.0.1:9", "client_id": "x", "private_key": "k"}}
    cache.clear()
    response = client.get(reverse("accounts:cis2"))
    assert response.status_code == 503 and "not available at the moment" in response.content.decode()
    assert refusals().get().summary.startswith("CIS2 refused: discovery unavailable")


# Mapping changes take effect at the next request


def test_a_mapping_removed_signs_the_member_of_staff_out_at_their_next_request(client, cis2_on, coordinator_mapping):
    sign_in(client, cis2_on)
    user = signed_in_user(client)
    assert client.get(reverse("casework:home")).status_code == 200

    coordinator_mapping.delete()
    response = client.get(reverse("casework:home"))

    assert response.status_code == 403 and cis2.NOT_MAPPED in response.content.decode()
    assert signed_in_user(client) is None
    refused = AuditEvent.objects.get(action=AuditAction.ACCESS_REFUSED, actor=user)
    assert refused.summary.startswith("Signed out, CIS2 no longer gives access")
    after = client.get(reverse("casework:home"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("login"))


def test_a_mapping_changed_gives_the_new_role_at_the_next_request(client, cis2_on, coordinator_mapping):
    sign_in(client, cis2_on)
    user = signed_in_user(client)

    Cis2RoleMapping.objects.filter(pk=coordinator_mapping.pk).update(role=Role.LEAD)
    response = client.get(reverse("casework:home"))

    assert response.status_code == 200 and response.wsgi_request.user.role == Role.LEAD
    assert signed_in_user(client) == user and User.objects.get(pk=user.pk).role == Role.LEAD
    change = AuditEvent.objects.get(action=AuditAction.UPDATE, object_id=str(user.pk), summary__contains="Role")
    assert change.changes == {"role": [Role.COORDINATOR, Role.LEAD]}
    assert client.get(reverse("casework:home")).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, summary__contains="Role").count() == 1


def test_cis2_switched_off_ends_a_cis2_session_at_its_next_request(client, cis2_on, coordinator_mapping, settings):
    sign_in(client, cis2_on)
    settings.OIDC_PROVIDERS = {}
    assert client.get(reverse("casework:home")).status_code == 403 and signed_in_user(client) is None


def test_mapping_a_cis2_session_again_takes_one_query(coordinator_mapping, django_assert_num_queries):
    roles = cis2.roles_used([nrbac(activities=[PHB_TEAM_ACTIVITY])])
    with django_assert_num_queries(1):
        assert cis2.role_for(roles) == Role.COORDINATOR


def test_the_middleware_asks_nothing_of_a_session_not_signed_in_through_cis2(alice, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.session = SessionBase()
    request.user = alice
    with django_assert_num_queries(0):
        assert Cis2RolesMiddleware(lambda request: HttpResponse("ok"))(request).status_code == 200
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert Cis2RolesMiddleware(lambda request: HttpResponse("ok"))(request).status_code == 200


# Passwords and the second factor


def test_a_staff_password_is_refused_when_cis2_is_on(client, cis2_on, alice):
    assert not password_sign_in(client, alice)


def test_a_staff_password_signs_in_when_cis2_is_off_and_still_asks_for_the_second_factor(client, alice):
    assert password_sign_in(client, alice)
    response = client.get(reverse("casework:home"))
    assert response.status_code == 302 and "second-factor" in response["Location"]


def test_a_cis2_session_is_asked_for_no_second_factor_but_a_password_session_is(
    client, cis2_on, coordinator_mapping, settings, alice
):
    sign_in(client, cis2_on)
    page = client.get(reverse("casework:home"))
    assert page.status_code == 200 and not page.context["second_factor_pending"]

    # The same session key, copied into a password session of another account, does not let it through.
    session = client.session
    kept = session[cis2.SESSION_KEY]
    client.logout()
    client.force_login(alice, second_factor=False)
    session = client.session
    session[cis2.SESSION_KEY] = kept
    session.save()
    response = client.get(reverse("casework:home"))
    assert response.status_code == 302 and "second-factor" in response["Location"]


# The administrator's mappings


def test_the_administrator_adds_a_mapping_in_the_admin_and_it_never_offers_patient(client, ada):
    client.force_login(ada)
    form = client.get(reverse("admin:accounts_cis2rolemapping_add"))
    html = form.content.decode()
    assert form.status_code == 200 and "Role in this service" in html and "What the CIS2 role is" in html
    assert 'value="patient"' not in html

    response = client.post(
        reverse("admin:accounts_cis2rolemapping_add"),
        {"code": " r8000 ", "kind": Cis2CodeKind.ROLE, "role": Role.COORDINATOR, "description": "Clinical role"},
    )
    assert response.status_code == 302
    mapping = Cis2RoleMapping.objects.get()
    assert mapping.code == "R8000"
    added = AuditEvent.objects.get(action=AuditAction.CREATE, object_id=str(mapping.pk), actor=ada)
    assert added.summary.startswith("Added in admin")
    refused = client.post(
        reverse("admin:accounts_cis2rolemapping_add"),
        {"code": "R8001", "kind": Cis2CodeKind.ROLE, "role": Role.PATIENT},
    )
    assert refused.status_code == 200 and not Cis2RoleMapping.objects.filter(code="R8001").exists()


# The rule, as a table

ROLE, ACTIVITY = Cis2CodeKind.ROLE, Cis2CodeKind.ACTIVITY
R = cis2.Cis2Role


@pytest.mark.parametrize(
    ("roles", "mappings", "expected"),
    [
        ([R("S8000:G8000:R8000", ())], {"R8000": (ROLE, "coordinator")}, {"coordinator"}),
        ([R("S8000:G8000:R8000", ())], {"S8000:G8000:R8000": (ROLE, "lead")}, {"lead"}),
        # The full code is more exact than its last part.
        (
            [R("S8000:G8000:R8000", ())],
            {"R8000": (ROLE, "coordinator"), "S8000:G8000:R8000": (ROLE, "lead")},
            {"lead"},
        ),
        # A role's own mapping wins over its activities'.
        (
            [R("S8000:G8000:R8000", ("B0360",))],
            {"R8000": (ROLE, "coordinator"), "B0360": (ACTIVITY, "lead")},
            {"coordinator"},
        ),
        ([R("S8000:G8000:R5080", ("B0360", "B0058"))], {"B0360": (ACTIVITY, "approver")}, {"approver"}),
        (
            [R("S8000:G8000:R5080", ("B0360", "B0058"))],
            {"B0360": (ACTIVITY, "approver"), "B0058": (ACTIVITY, "lead")},
            {"approver", "lead"},
        ),
        # A code is believed only as the kind it was mapped as.
        ([R("S8000:G8000:R5080", ("B0360",))], {"B0360": (ROLE, "approver")}, set()),
        ([R("S8000:G8000:R0360", ())], {"R0360": (ACTIVITY, "approver")}, set()),
        # Every CIS2 role counts, each by its own precedence.
        (
            [R("S8000:G8000:R8000", ()), R("S1:G1:R1", ("B0360",))],
            {"R8000": (ROLE, "coordinator"), "B0360": (ACTIVITY, "approver")},
            {"coordinator", "approver"},
        ),
        ([R("S1:G1:R1", ())], {}, set()),
    ],
)
def test_the_app_roles_cis2_roles_give(roles, mappings, expected):
    assert cis2.app_roles(roles, mappings) == expected


def test_the_role_chosen_at_sign_in_is_the_only_one_used_and_garbage_is_left_out():
    given = [nrbac(roleid="1"), nrbac(ADMIN_ROLE, activities=["b0360 "], roleid="2"), "not a role", {"role_code": None}]
    assert cis2.roles_used(given, "2") == [R(ADMIN_ROLE, ("B0360",))]
    assert cis2.roles_used(given) == [R(CLINICAL_PRACTITIONER, ()), R(ADMIN_ROLE, ("B0360",))]
    assert cis2.roles_used(given, "3") == [] and cis2.roles_used("nonsense") == []


@pytest.mark.parametrize(("found", "expected"), [({"lead"}, "lead"), ({"lead", "patient"}, "lead")])
def test_one_role_is_needed(found, expected):
    assert cis2.one_role(set(found)) == expected


@pytest.mark.parametrize("found", [set(), {"patient"}, {"lead", "coordinator"}])
def test_no_role_or_two_roles_are_refused(found):
    with pytest.raises(cis2.NotMapped):
        cis2.one_role(set(found))


def test_a_role_mapped_to_administrator_opens_the_admin_and_losing_it_closes_the_admin(client, cis2_on):
    mapping = Cis2RoleMapping.objects.create(code="R8000", kind=Cis2CodeKind.ROLE, role=Role.ADMIN)
    sign_in(client, cis2_on)
    user = signed_in_user(client)
    assert user.is_staff and user.is_superuser
    assert client.get(reverse("home"))["Location"].startswith("/admin/")

    Cis2RoleMapping.objects.filter(pk=mapping.pk).update(role=Role.COORDINATOR)
    client.get(reverse("home"))
    user.refresh_from_db()
    assert user.role == Role.COORDINATOR and not user.is_staff and not user.is_superuser
