"""Screening a person: questions, the outcome before saving, history kept, and who is kept out."""

import pytest
from django.urls import reverse

from eligibility.models import Decision, Screening
from eligibility.tests.factories import IPCCohortFactory, referral
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def answers(**overrides):
    data = {
        "screened_on_day": "5",
        "screened_on_month": "1",
        "screened_on_year": "2026",
        "funding": "chc",
        "inpatient_chc": "no",
        "section_117": "none",
        "wheelchair": "no",
        "commissioned_package": "no",
        "package_description": "",
        "block_contract_services": "",
    }
    data.update(overrides)
    return data


def screen_url(person):
    return reverse("eligibility:new", kwargs={"person_pk": person.pk})


def test_it_shows_the_outcome_before_saving_and_saves_only_when_asked(client, alice, jane):
    client.force_login(alice)
    response = client.post(screen_url(jane), answers(action="check"))
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview.outcome.label == "Eligible: right to have"
    assert "Check the outcome before you save" in response.content.decode()
    assert not Screening.objects.exists()

    response = client.post(screen_url(jane), answers(action="save"))
    screening = Screening.objects.get()
    assert response["Location"] == reverse("eligibility:detail", kwargs={"pk": screening.pk})
    assert (screening.outcome, screening.route, screening.decision) == ("eligible", "right_to_have", "not_needed")
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(screening.pk), actor=alice).exists()


@pytest.mark.parametrize(
    "overrides, shown",
    [
        ({"inpatient_chc": "no"}, "No"),  # the answer that made them eligible
        ({"inpatient_chc": "yes"}, "Yes"),  # the answer that made them not eligible yet
        ({"funding": "none"}, "Not asked: no continuing care funding"),
    ],
)
def test_the_saved_screening_shows_every_answer_the_inpatient_one_included(client, alice, jane, overrides, shown):
    import re

    client.force_login(alice)
    response = client.post(screen_url(jane), answers(action="save", **overrides), follow=True)
    page = response.content.decode()
    assert re.search(r'data-testid="inpatient">(.*?)</dd>', page).group(1) == shown
    for question in ("Continuing care funding", "Section 117 aftercare", "NHS wheelchair services"):
        assert question in page


def test_it_keeps_earlier_screenings_and_shows_the_latest_on_the_person_page(client, alice, jane):
    client.force_login(alice)
    client.post(screen_url(jane), answers(action="save", inpatient_chc="yes"))
    client.post(screen_url(jane), answers(action="save", screened_on_month="2"))
    assert Screening.objects.filter(person=jane).count() == 2
    page = client.get(reverse("people:detail", kwargs={"pk": jane.pk})).content.decode()
    assert "Eligible: right to have" in page
    assert "Earlier screenings" in page
    assert "Not eligible" in page


def test_it_refers_a_package_and_records_block_contract_services(client, alice, jane):
    client.force_login(alice)
    client.post(
        screen_url(jane),
        answers(
            action="save",
            funding="none",
            commissioned_package="yes",
            package_description="Complex mental health package",
            block_contract_services="Day centre\n\nCommunity nursing\n",
        ),
    )
    screening = Screening.objects.get()
    assert (screening.outcome, screening.route, screening.decision) == ("referred", "discretionary", "awaiting")
    assert screening.block_contract_services == ["Day centre", "Community nursing"]


def test_it_offers_ipc_through_a_cohort(client, alice, jane):
    cohort = IPCCohortFactory(code="frailty", name="Older people with frailty")
    client.force_login(alice)
    client.post(screen_url(jane), answers(action="save", funding="none", cohorts=[str(cohort.pk)]))
    screening = Screening.objects.get()
    assert (screening.outcome, screening.route) == ("ipc_offer", "ipc")
    assert list(screening.cohorts.all()) == [cohort]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"funding": "cc", "inpatient_cc": "no"},
            "funding",
            "Children's continuing care is for people aged 17 or under",
        ),
        ({"funding": ""}, "funding", "Select which continuing care funding the person has"),
        ({"inpatient_chc": ""}, "inpatient_chc", "Select whether they are a hospital inpatient now"),
        ({"commissioned_package": "yes"}, "package_description", "Describe the individually commissioned care package"),
        ({"screened_on_year": "2099"}, "screened_on", "Screening date must be today or in the past"),
        ({"screened_on_year": "1900"}, "screened_on", "Screening date must be on or after the person's date of birth"),
        ({"section_117": "maybe"}, "section_117", "Select"),
    ],
)
def test_it_refuses_bad_answers_with_a_message_and_saves_nothing(client, alice, jane, overrides, field, message):
    client.force_login(alice)
    response = client.post(screen_url(jane), answers(action="save", **overrides))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not Screening.objects.exists()


def test_it_refuses_chc_for_a_sixteen_year_old(client, alice, north):
    import datetime

    from people.tests.factories import PersonFactory

    teenager = PersonFactory(care_team=north, date_of_birth=datetime.date(2009, 6, 1))
    client.force_login(alice)
    response = client.post(screen_url(teenager), answers(action="save"))
    [error] = response.context["form"].errors["funding"]
    assert "Continuing Healthcare is for adults, and this person is 16" in error


def test_it_hides_screenings_from_another_team(client, alice, charlie, jane):
    screening = referral(person=jane, coordinator=alice)
    client.force_login(charlie)
    assert client.get(reverse("eligibility:detail", kwargs={"pk": screening.pk})).status_code == 404
    assert client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk})).status_code == 404
    assert client.get(screen_url(jane)).status_code == 404


def test_it_lets_only_coordinators_in_the_team_screen(client, priya, pat, jane):
    for user in (priya, pat):
        client.force_login(user)
        assert client.get(screen_url(jane)).status_code == 404


def test_it_audits_every_view_of_a_screening(client, alice, jane):
    screening = referral(person=jane, coordinator=alice)
    client.force_login(alice)
    client.get(reverse("eligibility:detail", kwargs={"pk": screening.pk}))
    client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk}))
    summaries = set(
        AuditEvent.objects.filter(action=AuditAction.VIEW, object_id=str(screening.pk)).values_list(
            "summary", flat=True
        )
    )
    assert summaries == {"Viewed screening", "Viewed outcome letter"}


def test_a_saved_screening_is_not_changed_by_later_cohort_changes(alice, jane):
    import datetime

    from eligibility import services

    cohort = IPCCohortFactory(code="frailty", name="Older people with frailty")
    screening = services.screening_create(
        person=jane,
        screened_on=datetime.date(2026, 1, 5),
        funding="none",
        hospital_inpatient=False,
        section_117="none",
        wheelchair=False,
        commissioned_package=False,
        cohorts=[cohort],
        acting_user=alice,
    )
    cohort.name = "Renamed cohort"
    cohort.needs_decision = True
    cohort.save()
    screening.refresh_from_db()
    assert screening.outcome == "ipc_offer"
    assert "Older people with frailty" in screening.reasons[0]
    assert screening.decision == Decision.NOT_NEEDED


def test_it_saves_a_not_eligible_screening_with_what_to_do_next(client, alice, jane):
    client.force_login(alice)
    response = client.post(screen_url(jane), answers(action="save", funding="none"))
    screening = Screening.objects.get()
    assert response.status_code == 302
    assert (screening.outcome, screening.route, screening.findings) == ("not_eligible", "none", [])
    assert any("local council" in step for step in screening.next_steps)


def test_a_huge_day_is_a_message_not_an_error_page(client, alice, jane):
    client.force_login(alice)
    response = client.post(screen_url(jane), answers(action="save", screened_on_day="99999999999999999999"))
    assert response.status_code == 200
    assert response.context["form"].errors["screened_on"] == ["Screening date must be a real date"]
