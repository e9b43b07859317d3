"""Adding, viewing, changing and searching people: what coordinators rely on, and who is kept out."""

import pytest
from django.urls import reverse

from people.contact import Address, reachable, reminder_address
from people.models import ContactChannel, Person
from people.tests.factories import PersonFactory
from phb import freshness, prepared
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def valid_form(team, **overrides):
    data = {
        "nhs_number": "999 000 0026",
        "given_name": "Nora",
        "family_name": "Quinn",
        "preferred_name": "",
        "date_of_birth_day": "15",
        "date_of_birth_month": "3",
        "date_of_birth_year": "1984",
        "address_line_1": "1 Park Row",
        "address_line_2": "",
        "town": "Leeds",
        "postcode": "ls1 5ab",
        "phone": "",
        "email": "",
        "gp_practice": "",
        "representative_role": "",
        "representative_name": "",
        "representative_relationship": "",
        "representative_contact": "",
        "care_team": str(team.pk),
        "lead_coordinator": "",
    }
    data.update(overrides)
    return data


def test_it_adds_a_person_and_audits_the_creation(client, alice, north):
    client.force_login(alice)
    response = client.post(reverse("people:add"), valid_form(north))
    assert response.status_code == 302, response.context["form"].errors
    person = Person.objects.get(nhs_number="9990000026")
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", kwargs={"pk": person.pk})
    assert person.postcode == "LS1 5AB"
    assert person.created_by == alice
    event = AuditEvent.objects.get(action=AuditAction.CREATE, person_id=person.pk)
    assert event.actor == alice
    assert event.actor_role == "coordinator"
    assert event.changes["family_name"] == [None, "Quinn"]
    assert event.request_id


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nhs_number": "99900000"}, "nhs_number", "NHS number must be 10 digits"),
        ({"nhs_number": "9990000027"}, "nhs_number", "Enter a valid NHS number"),
        ({"nhs_number": "999000002X"}, "nhs_number", "NHS number must only include numbers"),
        ({"nhs_number": ""}, "nhs_number", "Enter NHS number"),
        ({"given_name": ""}, "given_name", "Enter first name"),
        ({"family_name": "x" * 101}, "family_name", "Last name must be 100 characters or fewer"),
        ({"date_of_birth_year": "2099"}, "date_of_birth", "Date of birth must be today or in the past"),
        (
            {"date_of_birth_day": "", "date_of_birth_month": "", "date_of_birth_year": ""},
            "date_of_birth",
            "Enter date of birth",
        ),
        ({"date_of_birth_day": "99999999999999999999"}, "date_of_birth", "Date of birth must be a real date"),
        ({"postcode": "LS1 ABC"}, "postcode", "Enter a real postcode, like LS1 4AP"),
        ({"email": "nora-at-example"}, "email", "Enter an email address in the correct format, like name@example.com"),
        ({"representative_role": "nominee"}, "representative_name", "Enter the representative's or nominee's name"),
        ({"care_team": ""}, "care_team", "Select a care team"),
        (
            {"wants_review_reminders": "on", "contact_by": "email"},
            "email",
            "Enter an email address to send them emails, or choose text message",
        ),
        (
            {"wants_review_reminders": "on", "contact_by": "text"},
            "phone",
            "Enter a mobile phone number to send them text messages, or choose email",
        ),
        (
            {"wants_review_reminders": "on", "contact_by": "text", "phone": "0113 496 0000"},
            "phone",
            "Enter a mobile phone number, like 07700 900982, to send them text messages",
        ),
        ({"contact_by": "carrier pigeon"}, "contact_by", "Select one of the options shown"),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_saves_nothing(client, alice, north, overrides, field, message):
    client.force_login(alice)
    response = client.post(reverse("people:add"), valid_form(north, **overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert "There is a problem" in response.content.decode()
    assert not Person.objects.filter(given_name="Nora").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()


def test_it_keeps_the_way_the_person_chose_to_be_reminded(client, alice, north):
    client.force_login(alice)
    form = valid_form(north, wants_review_reminders="on", contact_by="text", phone="+44 7700 900982")
    response = client.post(reverse("people:add"), form)
    assert response.status_code == 302, response.context["form"].errors
    person = Person.objects.get(nhs_number="9990000026")
    assert (person.wants_review_reminders, person.contact_by) == (True, "text")
    assert reminder_address(person) == Address(ContactChannel.TEXT, "+44 7700 900982")
    assert Person.objects.filter(reachable(), pk=person.pk).exists()


def test_it_refuses_a_team_the_coordinator_is_not_in(client, alice, north, south):
    client.force_login(alice)
    response = client.post(reverse("people:add"), valid_form(south))
    assert response.status_code == 200
    assert "care_team" in response.context["form"].errors
    assert not Person.objects.filter(given_name="Nora").exists()


def test_it_names_an_existing_record_the_user_may_see(client, alice, north, jane):
    client.force_login(alice)
    response = client.post(reverse("people:add"), valid_form(north, nhs_number=jane.nhs_number))
    [error] = response.context["form"].errors["nhs_number"]
    assert "already recorded for Jane Smith" in error
    assert Person.objects.filter(nhs_number=jane.nhs_number).count() == 1


def test_it_gives_a_neutral_message_for_a_record_the_user_may_not_see(client, alice, north, sam):
    client.force_login(alice)
    response = client.post(reverse("people:add"), valid_form(north, nhs_number=sam.nhs_number))
    [error] = response.context["form"].errors["nhs_number"]
    assert "already recorded" in error
    assert "Sam" not in error and "Taylor" not in error


def test_it_shows_a_person_and_audits_the_view(client, alice, jane):
    client.force_login(alice)
    response = client.get(reverse("people:detail", kwargs={"pk": jane.pk}))
    assert response.status_code == 200
    assert "999 " in response.content.decode()
    assert jane.nhs_number_display in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=jane.pk, actor=alice).count() == 1


@pytest.mark.parametrize("name", ["detail", "edit", "history"])
def test_it_hides_people_outside_the_coordinators_teams(client, charlie, jane, name):
    client.force_login(charlie)
    response = client.get(reverse(f"people:{name}", kwargs={"pk": jane.pk}))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=jane.pk).exists()


@pytest.mark.parametrize(
    ("name", "needs_pk"),
    [
        ("casework:caseload", False),
        ("people:add", False),
        ("people:detail", True),
        ("people:edit", True),
        ("people:history", True),
    ],
)
@pytest.mark.parametrize("persona", ["pat", "ada"])
def test_it_gives_patients_and_administrators_404_on_staff_pages(client, request, jane, persona, name, needs_pk):
    client.force_login(request.getfixturevalue(persona))
    url = reverse(name, kwargs={"pk": jane.pk} if needs_pk else None)
    assert client.get(url).status_code == 404


def test_it_lets_the_phb_team_see_but_not_change_anyone(client, priya, jane, sam):
    client.force_login(priya)
    assert client.get(reverse("people:detail", kwargs={"pk": sam.pk})).status_code == 200
    assert client.get(reverse("people:edit", kwargs={"pk": jane.pk})).status_code == 404
    assert client.get(reverse("people:add")).status_code == 404


def edit_form(person, **overrides):
    data = valid_form(
        person.care_team,
        nhs_number=person.nhs_number,
        given_name=person.given_name,
        family_name=person.family_name,
        version=str(person.version),
    )
    data["date_of_birth_day"], data["date_of_birth_month"], data["date_of_birth_year"] = (
        str(person.date_of_birth.day),
        str(person.date_of_birth.month),
        str(person.date_of_birth.year),
    )
    data["address_line_1"] = person.address_line_1
    data["postcode"] = person.postcode
    data["lead_coordinator"] = str(person.lead_coordinator_id or "")
    data.update(overrides)
    return data


def test_it_saves_a_change_and_audits_before_and_after(client, alice, jane):
    client.force_login(alice)
    response = client.post(reverse("people:edit", kwargs={"pk": jane.pk}), edit_form(jane, family_name="Smythe"))
    assert response.status_code == 302
    jane.refresh_from_db()
    assert jane.family_name == "Smythe"
    assert jane.version == 2
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, person_id=jane.pk)
    assert event.changes == {"family_name": ["Smith", "Smythe"]}


def test_it_refuses_a_stale_form_and_names_who_changed_it(client, alice, bob, jane):
    stale = edit_form(jane, family_name="Smythe")
    client.force_login(bob)
    client.post(reverse("people:edit", kwargs={"pk": jane.pk}), edit_form(jane, phone="0113 496 0000"))
    client.force_login(alice)
    response = client.post(reverse("people:edit", kwargs={"pk": jane.pk}), stale)
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert "changed by Bob Brown" in error
    assert "Reload the page" in error
    jane.refresh_from_db()
    assert jane.family_name == "Smith"
    assert jane.phone == "0113 496 0000"
    # What Alice typed is still on the page, not lost.
    assert 'value="Smythe"' in response.content.decode()


def test_it_searches_the_caseload_by_nhs_number_and_name(client, alice, north, jane, sam):
    other = PersonFactory(given_name="Ann", family_name="Jones", care_team=north)
    client.force_login(alice)
    by_number = client.get(reverse("casework:caseload"), {"q": jane.nhs_number_display})
    assert list(by_number.context["page"].object_list) == [jane]
    # Ann has no lead coordinator yet: she is in Alice's team, not among the people Alice leads.
    assert list(client.get(reverse("casework:caseload"), {"q": "jones"}).context["page"].object_list) == []
    by_name = client.get(reverse("casework:caseload"), {"q": "jones", "show": "team"})
    assert list(by_name.context["page"].object_list) == [other]
    # Charlie's person never appears in Alice's caseload, even by exact number.
    assert list(client.get(reverse("casework:caseload"), {"q": sam.nhs_number}).context["page"].object_list) == []
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH, actor=alice).count() == 4


def test_it_lists_the_caseload_in_constant_queries(client, alice, north, django_assert_max_num_queries):
    client.force_login(alice)
    PersonFactory.create_batch(3, care_team=north, lead_coordinator=alice)
    freshness.stale_now()  # both measured with nothing kept (the header's counts and the reviews banner)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("casework:caseload"))
    PersonFactory.create_batch(20, care_team=north, lead_coordinator=alice)
    freshness.stale_now()
    prepared.forget()  # and as on a new connection: the page's statement prepared again (phb.prepared)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(reverse("casework:caseload"))
    assert len(response.context["page"].object_list) == 23
    assert len(many.captured_queries) == len(few.captured_queries)
