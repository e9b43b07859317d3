"""The budgets services called directly: each refuses the wrong persona; changes are locked and audited."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from budgets import services
from budgets.calculate import Domain
from budgets.models import Assessment, BudgetVersion, CurrentService, Tariff
from budgets.tests.factories import add_service, make_tariff, points_table
from phb.errors import ServiceError, StaleRecordError
from phb.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def assessment_values(**overrides):
    values = {
        "assessed_on": datetime.date(2026, 1, 10),
        "participants": "The person and their daughter",
        "engagement_support": "some",
        "engagement_note": "",
    }
    values.update(overrides)
    return values


def needs(level="moderate", **levels):
    return {d.value: (levels.get(d.value, level), f"About {d.value.replace('_', ' ')}") for d in Domain}  # as made


def change_assessment(assessment, user, *, expected_version=1, needs_given=None, **overrides):
    return services.assessment_update(
        assessment=assessment,
        expected_version=expected_version,
        needs=needs_given or needs(),
        acting_user=user,
        **assessment_values(**overrides),
    )


def audit_rows(obj):
    return AuditEvent.objects.filter(object_id=str(obj.pk), action=AuditAction.UPDATE)


def test_assessment_update_saves_and_audits_only_what_changed(alice, assessment):
    saved = change_assessment(
        assessment,
        alice,
        participants="Jane alone",
        engagement_support="substantial",
        needs_given=needs(housing="high"),
    )
    assert (saved.version, saved.participants, saved.updated_by) == (2, "Jane alone", alice)
    assert assessment.needs.get(domain="housing").level == "high"
    event = audit_rows(assessment).get()
    assert event.summary == "Changed the assessment"
    assert event.person_id == assessment.person_id
    assert event.changes == {
        "participants": ["The person and their daughter", "Jane alone"],
        "engagement_support": ["some", "substantial"],
        "need.housing": ["moderate", "high"],
    }
    # The latest assessment's engagement support is copied onto the person.
    assessment.person.refresh_from_db()
    assert assessment.person.engagement_support == "substantial"


def test_assessment_update_refuses_a_stale_version_with_who_and_when(alice, bob, assessment):
    with time_machine.travel(datetime.datetime(2026, 2, 3, 9, 30, tzinfo=LONDON), tick=False):
        change_assessment(assessment, bob, participants="Bob's version")
    with pytest.raises(StaleRecordError, match=r"changed by Bob Brown on 3 February 2026 at 9:30am"):
        change_assessment(assessment, alice, participants="Alice's version", needs_given=needs(housing="high"))
    assessment.refresh_from_db()
    assert (assessment.participants, assessment.version) == ("Bob's version", 2)
    assert assessment.needs.get(domain="housing").level == "moderate"
    assert audit_rows(assessment).count() == 1


def test_assessment_update_refuses_a_date_in_the_future_and_writes_nothing(alice, assessment):
    with pytest.raises(ValidationError) as error:
        change_assessment(assessment, alice, assessed_on=datetime.date(2099, 1, 1), participants="Changed")
    assert "assessed_on" in error.value.message_dict
    assessment.refresh_from_db()
    assert (assessment.participants, assessment.version) == ("The person and their daughter", 1)
    assert not audit_rows(assessment).exists()


@pytest.mark.parametrize("persona", ["charlie", "priya", "leo", "pat"])
def test_assessment_update_refuses_anyone_but_the_persons_coordinators(request, assessment, persona):
    with pytest.raises(ServiceError, match="Only a care coordinator in the person's care team"):
        change_assessment(assessment, request.getfixturevalue(persona), participants="Changed")
    assessment.refresh_from_db()
    assert (assessment.participants, assessment.version) == ("The person and their daughter", 1)
    assert not audit_rows(assessment).exists()


@pytest.mark.parametrize("persona", ["charlie", "priya", "pat"])
def test_assessment_create_refuses_anyone_but_the_persons_coordinators(request, eligible_jane, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(ServiceError, match="Only a care coordinator"):
        services.assessment_create(
            person=eligible_jane, needs=needs(), assessor=user, acting_user=user, **assessment_values()
        )
    assert not Assessment.objects.exists()


def service_values(**overrides):
    values = {
        "name": "Home care",
        "provider": "Demo Care Ltd",
        "service_type": "Home care",
        "funding": "nhs_spot",
        "unit_cost": Decimal("20.00"),
        "units": Decimal("10"),
        "unit_kind": "hour",
        "period": "week",
    }
    values.update(overrides)
    return values


@pytest.mark.parametrize("persona", ["charlie", "priya", "pat"])
def test_current_service_changes_are_refused_outside_the_team(request, alice, assessment, persona):
    user = request.getfixturevalue(persona)
    service = add_service(assessment=assessment, coordinator=alice)
    with pytest.raises(ServiceError, match="Only a care coordinator"):
        services.current_service_add(assessment=assessment, acting_user=user, **service_values(name="Other"))
    with pytest.raises(ServiceError, match="Only a care coordinator"):
        services.current_service_update(
            service=service, expected_version=1, acting_user=user, **service_values(name="Changed")
        )
    with pytest.raises(ServiceError, match="Only a care coordinator"):
        services.current_service_remove(service=service, expected_version=1, acting_user=user)
    assert list(CurrentService.objects.values_list("name", "version")) == [("Home care", 1)]


def test_current_service_update_audits_only_what_changed(alice, assessment):
    service = add_service(assessment=assessment, coordinator=alice)
    services.current_service_update(
        service=service, expected_version=1, acting_user=alice, **service_values(name="Night care", units=Decimal("12"))
    )
    event = audit_rows(service).get()
    assert event.summary == "Changed current service Night care"
    assert event.changes == {"name": ["Home care", "Night care"], "units": ["10.00", "12.00"]}


def test_removing_a_service_changed_since_the_page_was_opened_is_refused(alice, bob, assessment):
    service = add_service(assessment=assessment, coordinator=alice)
    services.current_service_update(
        service=service, expected_version=1, acting_user=bob, **service_values(name="Bob's name")
    )
    with pytest.raises(StaleRecordError, match="This service was changed by Bob Brown"):
        services.current_service_remove(service=service, expected_version=1, acting_user=alice)
    assert CurrentService.objects.filter(pk=service.pk).exists()


@pytest.mark.parametrize("persona", ["charlie", "priya", "pat"])
def test_budget_version_create_refuses_anyone_but_the_persons_coordinators(request, with_services, persona):
    with pytest.raises(ServiceError, match="Only a care coordinator"):
        services.budget_version_create(
            assessment=with_services,
            method="costed",
            adjustment=Decimal("0"),
            adjustment_reason="",
            council_share_means_tested=False,
            acting_user=request.getfixturevalue(persona),
        )
    assert not BudgetVersion.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "pat"])
def test_budget_sign_off_refuses_anyone_outside_the_phb_team(request, alice, with_services, persona):
    version = services.budget_version_create(
        assessment=with_services,
        method="costed",
        adjustment=Decimal("5000"),
        adjustment_reason="Night support",
        council_share_means_tested=False,
        acting_user=alice,
    )
    with pytest.raises(ServiceError, match="Only the PHB team can sign off a budget"):
        services.budget_version_sign_off(
            version=version, approve=True, note="", acting_user=request.getfixturevalue(persona)
        )
    version.refresh_from_db()
    assert version.sign_off == "awaiting"
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_OFF).exists()


def test_returning_a_budget_is_audited_as_a_sign_off_decision(alice, priya, with_services):
    version = services.budget_version_create(
        assessment=with_services,
        method="costed",
        adjustment=Decimal("5000"),
        adjustment_reason="Night support",
        council_share_means_tested=False,
        acting_user=alice,
    )
    services.budget_version_sign_off(version=version, approve=False, note="Too high", acting_user=priya)
    event = AuditEvent.objects.get(action=AuditAction.SIGN_OFF)
    assert event.changes == {"sign_off": ["awaiting", "returned"], "sign_off_note": [None, "Too high"]}
    assert event.summary == "Budget 1 returned"


@pytest.mark.parametrize("persona", ["alice", "priya", "pat"])
def test_tariffs_are_set_and_changed_only_by_the_lead(request, leo, persona):
    tariff = make_tariff(lead=leo)
    user = request.getfixturevalue(persona)
    with pytest.raises(ServiceError, match="Only the PHB team lead can set tariffs"):
        services.tariff_create(
            acting_user=user,
            effective_from=datetime.date(2027, 4, 1),
            price_per_point=Decimal("300.00"),
            points=points_table(),
        )
    with pytest.raises(ServiceError, match="Only the PHB team lead can change tariffs"):
        services.tariff_update(
            tariff=tariff,
            expected_version=1,
            acting_user=user,
            effective_from=tariff.effective_from,
            price_per_point=Decimal("1.00"),
            points=points_table(),
            notes="",
        )
    assert list(Tariff.objects.values_list("price_per_point", "version")) == [(Decimal("250.00"), 1)]


def test_a_stale_tariff_change_is_refused(leo, tariff):
    values = {"effective_from": tariff.effective_from, "points": points_table(), "notes": ""}
    services.tariff_update(tariff=tariff, expected_version=1, acting_user=leo, price_per_point=Decimal("260"), **values)
    with pytest.raises(StaleRecordError, match="This tariff was changed by Leo Lewis"):
        services.tariff_update(
            tariff=tariff, expected_version=1, acting_user=leo, price_per_point=Decimal("270"), **values
        )
    tariff.refresh_from_db()
    assert (tariff.price_per_point, tariff.version) == (Decimal("260.00"), 2)


def _budget(assessment, alice, adjustment="0"):
    return services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal(adjustment),
        adjustment_reason="Night support" if adjustment != "0" else "",
        council_share_means_tested=False,
        acting_user=alice,
    )


def _every_change_refused(assessment, alice):
    """Each change to the assessment is refused with the reason and leaves it as it was."""
    service = assessment.services.first()
    changes = [
        lambda: services.assessment_update(
            assessment=assessment,
            expected_version=assessment.version,
            needs={d.value: ("high", "") for d in Domain},
            acting_user=alice,
            **assessment_values(participants="Someone else"),
        ),
        lambda: add_service(assessment=assessment, coordinator=alice, name="Physiotherapy"),
        lambda: services.current_service_update(
            service=service,
            expected_version=service.version,
            acting_user=alice,
            **{**{f: getattr(service, f) for f in services.SERVICE_FIELDS}, "name": "Changed"},
        ),
        lambda: services.current_service_remove(service=service, expected_version=service.version, acting_user=alice),
    ]
    for change in changes:
        with pytest.raises(ServiceError, match="This assessment cannot be changed because indicative budget 1"):
            change()
    assessment.refresh_from_db()
    assert assessment.participants == "The person and their daughter"
    assert set(assessment.services.values_list("name", flat=True)) == {"Home care", "Day centre", "Council home care"}
    assert set(assessment.needs.values_list("level", flat=True)) == {"moderate"}


def test_an_assessment_is_locked_once_a_budget_from_it_is_signed_off(alice, priya, with_services):
    version = _budget(with_services, alice, adjustment="5000")  # waits for sign-off: still open to change
    services.assessment_update(
        assessment=with_services,
        expected_version=with_services.version,
        needs={d.value: ("moderate", "") for d in Domain},
        acting_user=alice,
        **assessment_values(),
    )
    with_services.refresh_from_db()
    services.budget_version_sign_off(version=version, approve=True, note="", acting_user=priya)
    _every_change_refused(with_services, alice)


def test_a_budget_needing_no_sign_off_locks_its_assessment_at_once(alice, with_services):
    _budget(with_services, alice)
    _every_change_refused(with_services, alice)


def test_a_returned_budget_leaves_its_assessment_open_to_change(alice, priya, with_services):
    version = _budget(with_services, alice, adjustment="5000")
    services.budget_version_sign_off(version=version, approve=False, note="Too high", acting_user=priya)
    add_service(assessment=with_services, coordinator=alice, name="Physiotherapy")
    assert with_services.services.filter(name="Physiotherapy").exists()
