"""portal.access: who reaches whose records online, and who manages online access."""

import pytest
from django.http import Http404

from careplans import approval
from careplans import services as plan_services
from careplans.models import Letter, LetterKind
from careplans.tests.factories import details
from people.models import PortalAccess
from portal import access, services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["alice", "priya", "leo", "ada"])
def test_it_refuses_everyone_but_patients(request, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(Http404):
        access.require_patient(user)
    assert not access.persons_for(user).exists()


def test_it_gives_each_patient_only_the_people_they_are_linked_to(pat, quinn, rita, jane, sam):
    access.require_patient(pat)
    assert list(access.persons_for(pat)) == [jane]
    assert list(access.persons_for(quinn)) == [sam]
    assert list(access.persons_for(rita)) == [sam]
    assert access.get_person_for_patient(rita, sam.pk) == sam
    assert not access.sees_several(rita)
    with pytest.raises(Http404) as refused:
        access.get_person_for_patient(rita, jane.pk)
    assert not isinstance(refused.value, access.NoAccessLeft)


def test_it_says_when_a_patient_has_no_access_left(pat, jane, alice):
    services.access_revoke(access=PortalAccess.objects.get(user=pat), acting_user=alice)
    assert not access.persons_for(pat).exists()
    with pytest.raises(access.NoAccessLeft):
        access.get_person_for_patient(pat, jane.pk)


def test_it_shows_only_agreed_versions_and_letters_to_the_person(pat, jane, janes_plan, alice, priya):
    assert access.get_version_for_person(jane, janes_plan.pk) == janes_plan
    draft = plan_services.plan_amend(plan=janes_plan.plan, acting_user=alice)
    with pytest.raises(Http404):
        access.get_version_for_person(jane, draft.pk)
    draft = plan_services.plan_update(
        version=draft, expected_revision=draft.revision, acting_user=alice, care_coordinator=alice, **details()
    )
    submitted = plan_services.plan_submit(version=draft, acting_user=alice)
    approval.plan_return(version=submitted, reason="Add the cost of the taxi back", acting_user=priya)
    notice = Letter.objects.get(kind=LetterKind.RETURN)
    with pytest.raises(Http404):
        access.get_letter_for_person(jane, notice.pk)
    approval_letter = Letter.objects.get(kind=LetterKind.APPROVAL)
    assert access.get_letter_for_person(jane, approval_letter.pk) == approval_letter


def test_it_keeps_one_persons_documents_from_another(jane, sam, janes_plan):
    letter = Letter.objects.get(plan_version=janes_plan)
    with pytest.raises(Http404):
        access.get_letter_for_person(sam, letter.pk)
    with pytest.raises(Http404):
        access.get_version_for_person(sam, janes_plan.pk)
    with pytest.raises(Http404):
        access.get_screening_for_person(sam, jane.screenings.first().pk)
    with pytest.raises(Http404):
        access.get_budget_for_person(sam, jane.budget_versions.first().pk)


def test_only_the_care_team_manages_online_access(pat, jane, alice, bob, charlie, priya):
    online = PortalAccess.objects.get(user=pat)
    for coordinator in (alice, bob):
        assert access.get_person_for_care_team(coordinator, jane.pk) == jane
        assert access.get_access_for_care_team(coordinator, online.pk) == online
        assert access.may_manage_online_access(coordinator, jane)
    for outsider in (charlie, priya, pat):
        with pytest.raises(Http404):
            access.get_person_for_care_team(outsider, jane.pk)
        with pytest.raises(Http404):
            access.get_access_for_care_team(outsider, online.pk)
        assert not access.may_manage_online_access(outsider, jane)
    assert PortalAccess.objects.get(pk=online.pk).revoked_at is None
