"""The patient portal: a person sees their own records, and nothing of anyone else's."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from pypdf import PdfReader

from careplans.models import Letter, LetterKind
from payments import statement_services
from payments.balance import TransactionKind
from people.models import PortalAccess
from phb.models import AuditAction, AuditEvent
from portal import services
from portal.models import Invitation, Message, Relationship
from tests.page_data import STAND_IN_RECEIPT

pytestmark = pytest.mark.django_db


def portal_patterns():
    [portal] = [p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "portal"]
    return [p for p in portal.url_patterns if isinstance(p, URLPattern)]


def ids_for(person, plan):
    screening = person.screenings.first()
    return {
        "pk": person.pk,
        "person_pk": person.pk,
        "version_pk": plan.pk,
        "letter_pk": Letter.objects.get(plan_version=plan, kind=LetterKind.APPROVAL).pk,
        "screening_pk": screening.pk,
        "budget_pk": person.budget_versions.order_by("-number").first().pk,
        "access_pk": PortalAccess.objects.filter(person=person).first().pk,
        "invitation_pk": pending_invitation(person).pk,
        "receipt_pk": own_receipt(plan).pk,
    }


def own_receipt(plan):
    """A receipt of spending on the person's plan (typed in once, by their lead coordinator)."""
    from payments.models import Receipt

    found = Receipt.objects.filter(plan=plan.plan).first()
    if found is not None:
        return found
    return statement_services.add_by_hand(
        plan=plan.plan,
        on=timezone.localdate(),
        amount=Decimal("9.99"),
        kind=TransactionKind.SPEND,
        description="Chemist",
        acting_user=plan.plan.person.lead_coordinator,
        receipt=("receipt.png", STAND_IN_RECEIPT),
    ).receipt


def pending_invitation(person):
    """An invitation for the person waiting to be accepted (made once, by their lead coordinator)."""
    waiting = Invitation.objects.filter(person=person, used_at__isnull=True).first()
    if waiting is not None:
        return waiting
    return services.invitation_create(
        person=person,
        email="waiting@example.com",
        relationship=Relationship.PARENT,
        link_base="http://testserver",
        acting_user=person.lead_coordinator,
    )


def url_for(pattern, ids):
    names = set(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))
    return reverse(f"portal:{pattern.name}", kwargs={n: ids[n] for n in names})


STAFF_SIDE = {"invite", "revoke", "reply", "staff_messages", "cancel_invitation", "resend_invitation"}
# Addresses with no one's ids: the choice of person, the invitation's link in the e-mail, and NHS login's start (alone
# or from the invitation) and return (portal/tests/test_nhs_login.py).
NO_IDS = {"home", "accept", "accept_nhs_login", "nhs_login", "nhs_login_callback"}


# Another patient, a representative of someone else, a coordinator from another team, the PHB team, an administrator.
@pytest.mark.parametrize("persona", ["quinn", "rita", "charlie", "priya", "leo", "ada"])
def test_every_portal_url_with_someone_elses_ids_is_404(client, request, pat, jane, janes_plan, persona):
    client.force_login(request.getfixturevalue(persona))
    ids = ids_for(jane, janes_plan)
    checked = 0
    sees_everyone = persona in {"priya", "leo"}
    for pattern in portal_patterns():
        if pattern.name in NO_IDS:
            continue
        url = url_for(pattern, ids)
        if pattern.name == "staff_messages" and sees_everyone:
            # The PHB team sees every person's record, messages included (read only: no reply).
            assert client.get(url).status_code == 200
            assert client.post(url, {"body": "hello"}).status_code == 405
            checked += 1
            continue
        # 405 where the page only takes the other method; never the page itself.
        assert client.get(url).status_code in {404, 405}, url
        posted = {"body": "hello", "email": "x@example.com", "relationship": Relationship.SELF}
        assert client.post(url, posted).status_code in {404, 405}, url
        checked += 1
    assert checked == len(portal_patterns()) - len(NO_IDS)
    assert not Message.objects.exists()
    [invitation] = Invitation.objects.all()  # the one made for the ids: not cancelled, not sent again
    assert Invitation.objects.usable(now=timezone.now()).filter(pk=invitation.pk).exists()
    assert PortalAccess.objects.get(user=pat).revoked_at is None


def test_janes_own_coordinator_cannot_open_her_portal_pages(client, alice, pat, jane, janes_plan):
    """Staff see a person's record through staff pages; /my/ is only for the person and their representatives."""
    client.force_login(alice)
    ids = ids_for(jane, janes_plan)
    person_pages = [p for p in portal_patterns() if p.name not in STAFF_SIDE | NO_IDS]
    assert len(person_pages) >= 9
    for pattern in person_pages:
        assert client.get(url_for(pattern, ids)).status_code == 404, pattern.name
    assert client.get(reverse("portal:home")).status_code == 404


def test_pat_sees_her_budget_plan_next_review_and_documents(client, pat, jane, janes_plan):
    client.force_login(pat)
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:person", kwargs={"pk": jane.pk})
    home = client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()
    assert "your plan costs £7,593.57 of your" in home and "£145.63 a week" in home
    assert "By 15 June 2026" in home
    assert "Alice Adams" in home
    plan = client.get(reverse("portal:plan", kwargs={"pk": jane.pk})).content.decode()
    assert "Sing in my choir again" in plan and "Taxi to choir" in plan
    documents = client.get(reverse("portal:documents", kwargs={"pk": jane.pk})).content.decode()
    assert "Approval letter" in documents
    pdf = client.get(reverse("portal:plan_pdf", kwargs={"pk": jane.pk, "version_pk": janes_plan.pk}))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Sing in my choir again" in text


def test_staff_only_things_never_reach_the_portal(client, pat, jane, janes_plan, alice):
    from careplans import services as plan_services

    draft = plan_services.plan_amend(plan=janes_plan.plan, acting_user=alice)
    client.force_login(pat)
    assert client.get(reverse("portal:plan_version", kwargs={"pk": jane.pk, "version_pk": draft.pk})).status_code == 404
    page = client.get(reverse("portal:plan", kwargs={"pk": jane.pk})).content.decode()
    assert "Check these" not in page and "flag" not in page.lower()


def test_every_page_and_document_the_person_opens_is_audited(client, pat, jane, janes_plan):
    client.force_login(pat)
    ids = ids_for(jane, janes_plan)
    before = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=pat).count()
    opened = 0
    for pattern in portal_patterns():
        names = set(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))
        # The columns step is reached only from an upload (with no file waiting it sends the person back to it).
        if pattern.name in {"statement_columns"} | NO_IDS | STAFF_SIDE or not names:
            continue
        url = reverse(f"portal:{pattern.name}", kwargs={n: ids[n] for n in names})
        assert client.get(url).status_code == 200, url
        opened += 1
        assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=pat).count() == before + opened, url
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, actor=pat).count() == before + opened


def test_an_invitation_works_once_for_72_hours(client, alice, jane, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal:invite", kwargs={"person_pk": jane.pk}),
            {"email": "Sarah@Example.com", "relationship": "attorney"},
        )
    [email] = mail.outbox
    link = re.search(r"http://testserver(/my/invitation/\S+/)", email.body).group(1)
    client.logout()
    weak = client.post(link, {"first_name": "Sarah", "last_name": "Jones", "password1": "short", "password2": "short"})
    assert any("at least 12 characters" in e for e in weak.context["form"].errors["password1"])
    response = client.post(
        link,
        {"first_name": "Sarah", "last_name": "Jones"}
        | {"password1": "choir-on-fridays-2026", "password2": "choir-on-fridays-2026"},
    )
    assert response["Location"] == reverse("portal:home")
    access = PortalAccess.objects.get(user__username="sarah@example.com")
    assert access.person == jane
    # Accepting signs them in: the next page is theirs, not the sign-in page.
    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:person", kwargs={"pk": jane.pk})
    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "Ask your care coordinator to send you a new one" in again.content.decode()


def test_an_expired_invitation_is_refused(client, alice, jane):
    invitation = services.invitation_create(
        person=jane,
        email="sarah@example.com",
        relationship=Relationship.SELF,
        link_base="http://testserver/",
        acting_user=alice,
    )
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.post(
        f"/my/invitation/{invitation.token}/",
        {"password1": "choir-on-fridays-2026", "password2": "choir-on-fridays-2026"},
    )
    assert response.status_code == 410
    assert not PortalAccess.objects.filter(user__username="sarah@example.com").exists()


def test_one_representative_switches_between_two_people(client, alice, charlie, jane, sam):
    user = None
    for person, coordinator in ((jane, alice), (sam, charlie)):
        invitation = services.invitation_create(
            person=person,
            email="parent@example.com",
            relationship="parent",
            link_base="http://t/",
            acting_user=coordinator,
        )
        if user is None:
            user = services.invitation_accept(token=invitation.token, password="choir-on-fridays-2026")
        else:
            services.invitation_accept_signed_in(token=invitation.token, acting_user=user)
    client.post(reverse("login"), {"username": "parent@example.com", "password": "choir-on-fridays-2026"})
    page = client.get(reverse("portal:home")).content.decode()
    assert "Jane Smith" in page and "Sam Taylor" in page


def test_revoking_access_ends_an_existing_session_on_its_next_request(client, pat, jane, alice):
    from django.test import Client

    patient = Client()
    patient.force_login(pat)
    assert patient.get(reverse("portal:person", kwargs={"pk": jane.pk})).status_code == 200
    client.force_login(alice)
    access = PortalAccess.objects.get(user=pat)
    client.post(reverse("portal:revoke", kwargs={"access_pk": access.pk}))
    response = patient.get(reverse("portal:person", kwargs={"pk": jane.pk}))
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


def test_the_new_message_email_links_the_coordinator_to_the_persons_messages(
    client, pat, jane, alice, django_capture_on_commit_callbacks
):
    client.force_login(pat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:messages", kwargs={"pk": jane.pk}), {"body": "Can we talk about my plan?"})
    [email] = mail.outbox
    assert email.to == [alice.email]
    link = re.search(r"(https?://\S+?)\.?$", email.body.strip()).group(1)
    assert link == "http://testserver" + reverse("portal:staff_messages", kwargs={"person_pk": jane.pk})
    client.force_login(alice)
    assert "Can we talk about my plan?" in client.get(link).content.decode()


def test_messages_are_limited_plain_text_and_reach_the_coordinator(
    client, pat, jane, alice, django_capture_on_commit_callbacks
):
    client.force_login(pat)
    url = reverse("portal:messages", kwargs={"pk": jane.pk})
    too_long = client.post(url, {"body": "x" * 2001})
    assert too_long.context["form"].errors["body"] == ["Your message must be 2,000 characters or fewer"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"body": "<script>alert(1)</script> I want to talk about changing my plan"})
    assert "<script>alert(1)</script>" not in client.get(url).content.decode()
    assert [m.subject for m in mail.outbox] == ["New message about Jane Smith"]
    assert "changing my plan" not in mail.outbox[0].body
    client.force_login(alice)
    person_page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "1 message, " in person_page and "1 new" in person_page
    thread = client.get(reverse("portal:staff_messages", kwargs={"person_pk": jane.pk})).content.decode()
    assert "I want to talk about changing my plan" in thread
    assert "&lt;script&gt;" in thread
    client.post(reverse("portal:reply", kwargs={"person_pk": jane.pk}), {"body": "I will call you on Tuesday."})
    client.force_login(pat)
    assert "I will call you on Tuesday." in client.get(url).content.decode()


def more_rows(jane, janes_plan, alice, pat, n):
    """n more of everything the portal lists: replies, messages, letters, completed reviews."""
    from careplans import reviews

    for i in range(n):
        services.message_send(person=jane, body=f"Reply {i}", acting_user=alice)
        services.message_send(person=jane, body=f"Question {i}", acting_user=pat)
        Letter.objects.create(person=jane, plan_version=janes_plan, kind=LetterKind.APPROVAL, pdf=b"%PDF")
        review = reviews.review_request(plan=janes_plan.plan, reason="concern_raised", acting_user=alice)
        reviews.review_complete(
            review=review,
            completed_on=timezone.localdate(),
            outcome_progress={str(o.key): ("partly", "Getting there") for o in janes_plan.outcomes.all()},
            domain_ratings={"social": "better", "daily_living": "same"},
            money_enough=True,
            money_notes="",
            used_as_planned=True,
            use_notes="",
            safety_notes="",
            satisfaction="satisfied",
            decision="continue",
            acting_user=alice,
        )


@pytest.mark.parametrize("page", ["person", "plan", "reviews", "documents", "messages"])
def test_portal_pages_use_constant_queries(client, pat, jane, janes_plan, alice, page, django_assert_max_num_queries):
    client.force_login(pat)
    url = reverse(f"portal:{page}", kwargs={"pk": jane.pk})
    more_rows(jane, janes_plan, alice, pat, 1)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    more_rows(jane, janes_plan, alice, pat, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_online_panel_on_the_staff_page_uses_constant_queries(
    client, alice, pat, jane, janes_plan, django_assert_max_num_queries
):
    from people.tests.factories import PortalAccessFactory

    client.force_login(alice)
    url = reverse("people:detail", kwargs={"pk": jane.pk})
    more_rows(jane, janes_plan, alice, pat, 1)
    with django_assert_max_num_queries(80) as few:
        assert client.get(url).status_code == 200
    more_rows(jane, janes_plan, alice, pat, 10)
    PortalAccessFactory.create_batch(5, person=jane)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    assert page.content.decode().count("Stop online access") == 6


@pytest.mark.parametrize("persona", ["pat", "charlie", "priya"])
def test_only_the_care_team_invites_revokes_and_replies(client, request, jane, pat, persona):
    client.force_login(request.getfixturevalue(persona))
    access = PortalAccess.objects.get(user=pat)
    assert client.get(reverse("portal:invite", kwargs={"person_pk": jane.pk})).status_code == 404
    assert client.post(reverse("portal:revoke", kwargs={"access_pk": access.pk})).status_code == 404
    assert client.post(reverse("portal:reply", kwargs={"person_pk": jane.pk}), {"body": "x"}).status_code == 404
    assert PortalAccess.objects.get(pk=access.pk).revoked_at is None


def test_two_representatives_see_each_others_messages_by_name(client, sam, rita, quinn):
    services.message_send(person=sam, body="From Rita", acting_user=rita)
    services.message_send(person=sam, body="From Quinn", acting_user=quinn)
    client.force_login(rita)
    page = client.get(reverse("portal:messages", kwargs={"pk": sam.pk})).content.decode()
    assert re.search(r"You, [^<]*</p>\s*<p>From Rita", page)
    assert re.search(r"Quinn Taylor, [^<]*</p>\s*<p>From Quinn", page)


def test_the_portal_follows_the_same_rule_as_staff_for_telling_a_budget(client, pat, jane, alice):
    """No plan yet: the portal shows the indicative budget only while staff may tell it."""
    from budgets import services as budget_services
    from budgets.tests.factories import add_service, make_assessment, make_eligible
    from eligibility import services as eligibility_services

    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(person=jane, coordinator=alice)
    add_service(assessment=assessment, coordinator=alice)
    budget = budget_services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=0,
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
    client.force_login(pat)
    home = reverse("portal:person", kwargs={"pk": jane.pk})
    letter = reverse("portal:budget_letter", kwargs={"pk": jane.pk, "budget_pk": budget.pk})
    assert "£10,428.57 a year" in client.get(home).content.decode()
    assert client.get(letter).status_code == 200
    eligibility_services.screening_create(
        person=jane,
        screened_on=datetime.date(2026, 2, 1),
        funding="none",
        hospital_inpatient=False,
        section_117="section_2_only",
        wheelchair=False,
        commissioned_package=False,
        acting_user=alice,
    )
    assert "£10,428.57" not in client.get(home).content.decode()
    assert client.get(letter).status_code == 404


def test_stopping_access_cancels_the_same_persons_other_invitations_to_that_address(
    client, alice, jane, django_capture_on_commit_callbacks
):
    """Invite twice, accept the first, stop access: the second link no longer gives it back; nor does any
    other invitation still pending for the person (to another address, for the person or a representative)."""
    links = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.invitation_create(
                person=jane,
                email="Sarah@Example.com",
                relationship=Relationship.ATTORNEY,
                link_base="http://testserver/",
                acting_user=alice,
            )
        links.append(re.search(r"http://testserver(/my/invitation/\S+/)", mail.outbox[-1].body).group(1))
    other = services.invitation_create(
        person=jane, email="tom@example.com", relationship=Relationship.SELF, link_base="http://t/", acting_user=alice
    )
    password = {"first_name": "Sarah", "last_name": "Jones"} | {
        "password1": "choir-on-fridays-2026",
        "password2": "choir-on-fridays-2026",
    }
    assert client.post(links[0], password).status_code == 302
    access = PortalAccess.objects.get(user__username="sarah@example.com")
    services.access_revoke(access=access, acting_user=alice)
    client.logout()
    assert client.get(links[1]).status_code == 410
    assert client.post(links[1], password).status_code == 410
    assert PortalAccess.objects.get(user__username="sarah@example.com").revoked_at is not None
    assert not PortalAccess.objects.filter(revoked_at__isnull=True).exists()
    # Every invitation still pending for the person ends: one to another address too.
    assert not Invitation.objects.usable(now=timezone.now()).filter(person=jane).exists()
    assert not Invitation.objects.usable(now=timezone.now()).filter(pk=other.pk).exists()
    cancelled = AuditEvent.objects.filter(action=AuditAction.CANCEL_INVITATION, person_id=jane.pk, actor=alice)
    assert sorted(cancelled.values_list("summary", flat=True)) == [
        "Cancelled the invitation to sarah@example.com when online access stopped",
        "Cancelled the invitation to tom@example.com when online access stopped",
    ]


@pytest.mark.parametrize(
    "plan_cost, says",
    [
        ("less", "Each year, your plan costs {cost} of your {budget} budget."),
        ("more", "Each year, your plan costs {cost}, which is more than your {budget} budget."),
    ],
)
def test_the_portal_sets_the_plans_cost_against_the_budget_in_the_letter(
    client, pat, jane, janes_plan, plan_cost, says
):
    """The plan's cost is never called "your budget": the budget is the indicative budget it was written from."""
    from careplans.models import PlanVersion
    from phb.money import pounds

    budget = janes_plan.budget_version.annual_amount
    cost = janes_plan.agreed_annual
    if plan_cost == "more":  # agreed above the budget, with the PHB team's agreement
        cost = budget + 100
        PlanVersion.objects.filter(pk=janes_plan.pk).update(agreed_annual=cost)
    assert cost != budget
    client.force_login(pat)
    home = " ".join(client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode().split())
    assert says.format(cost=pounds(cost), budget=pounds(budget)) in home
    assert f"{pounds(cost)} a year" not in home  # the plan's cost alone under "Your budget", as it was
    if plan_cost == "less":
        plan = " ".join(client.get(reverse("portal:plan", kwargs={"pk": jane.pk})).content.decode().split())
        assert says.format(cost=pounds(cost), budget=pounds(budget)) in plan


def test_the_header_names_who_signed_in_never_their_email(client, alice, jane, django_capture_on_commit_callbacks):
    """The person themselves is named after their record; a representative gives their name when they accept."""
    password = {"password1": "choir-on-fridays-2026", "password2": "choir-on-fridays-2026"}
    for email, relationship in (
        ("jane.s@example.com", Relationship.SELF),
        ("sarah@example.com", Relationship.ATTORNEY),
    ):
        invitation = services.invitation_create(
            person=jane, email=email, relationship=relationship, link_base="http://testserver/", acting_user=alice
        )
        link = reverse("portal:accept", kwargs={"token": invitation.token})
        client.logout()
        if relationship == Relationship.ATTORNEY:
            refused = client.post(link, password)
            assert refused.status_code == 200
            assert refused.context["form"].errors["first_name"] == ["Enter your first name"]
            assert client.post(link, {"first_name": " Sarah ", "last_name": "Jones"} | password).status_code == 302
            name = "Sarah Jones"
        else:
            assert client.post(link, password).status_code == 302
            name = jane.full_name
        header = client.get(reverse("portal:person", kwargs={"pk": jane.pk})).content.decode()
        signed_in_as = re.search(r'data-testid="signed-in-as">(.*?)</span>', header, re.S).group(1)
        assert name in signed_in_as and email not in signed_in_as
