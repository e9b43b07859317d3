"""The findings about unbounded text, tariff bounds and digits: each test failed on the code before the bounds.

They use only pages, services and models (no name that came with the fix), so they run on the code before it.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from budgets import calculate
from phb.nhsuk import NHSDateField

pytestmark = pytest.mark.django_db


def plan_post(version, **changes) -> dict:
    """What the plan form posts for the version as it is, with changes."""
    from careplans.forms import PlanForm

    form = PlanForm(instance=version)
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(field, NHSDateField):
            for part, number in zip(("day", "month", "year"), (value.day, value.month, value.year), strict=True):
                data[f"{name}_{part}"] = str(number)
        elif value is not None:
            data[name] = str(getattr(value, "pk", value))
    return {**data, **changes}


def test_unbounded_text_an_over_budget_justification_past_5000_characters_is_refused_everywhere(client, alice, jane):
    from django.db import DataError, transaction
    from django.urls import reverse

    from careplans import services
    from careplans.models import PlanVersion
    from careplans.tests.factories import complete_plan
    from phb.models import AuditEvent

    version = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    updates = AuditEvent.objects.filter(action="update").count()
    # The form: 2.4 million characters once saved and made the plan's PDF take 45 seconds.
    response = client.post(
        reverse("careplans:edit", kwargs={"pk": version.pk}),
        plan_post(version, over_budget_justification="x" * 2_400_000),
    )
    assert response.status_code == 200
    assert "Why the plan costs more than the budget must be 5,000 characters or fewer" in response.text
    assert 'data-module="nhsuk-character-count" data-maxlength="5000"' in response.text
    version.refresh_from_db()
    assert version.over_budget_justification == ""
    assert AuditEvent.objects.filter(action="update").count() == updates
    # The service: the model's own limit.
    with pytest.raises(ValidationError) as error:
        services.plan_update(
            version=version,
            expected_revision=version.revision,
            acting_user=alice,
            over_budget_justification="x" * 5001,
        )
    assert "over_budget_justification" in error.value.message_dict
    # The database: a column of 5,000 characters at most.
    with pytest.raises(DataError), transaction.atomic():
        PlanVersion.objects.filter(pk=version.pk).update(over_budget_justification="x" * 5001)
    saved = services.plan_update(
        version=version, expected_revision=version.revision, acting_user=alice, over_budget_justification="x" * 5000
    )
    assert len(saved.over_budget_justification) == 5000


def test_tariff_bounds_a_price_per_point_over_10000_pounds_is_refused_with_a_message(client, leo):
    from django.db import IntegrityError, transaction
    from django.urls import reverse

    from budgets import services
    from budgets.models import Tariff
    from budgets.tests.factories import make_tariff, points_table

    client.force_login(leo)
    data = {"effective_from_day": "1", "effective_from_month": "4", "effective_from_year": "2026", "notes": ""}
    data |= {
        f"points_{domain}_{level}": str(points)
        for domain, levels in points_table().items()
        for level, points in levels.items()
    }
    response = client.post(reverse("budgets:tariff_new"), {**data, "price_per_point": "10,000,000"})
    assert response.status_code == 200
    assert "Price of one point must be £10,000 or less" in response.text
    assert not Tariff.objects.exists()
    with pytest.raises(ValidationError) as error:
        services.tariff_create(
            acting_user=leo,
            effective_from=datetime.date(2026, 4, 1),
            price_per_point=Decimal("10000.01"),
            points=points_table(),
        )
    assert error.value.message_dict["price_per_point"] == ["Price per point must be £10,000 or less"]
    tariff = make_tariff(lead=leo, price="10000.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Tariff.objects.filter(pk=tariff.pk).update(price_per_point=Decimal("10000.01"))


def test_tariff_bounds_the_largest_tariff_still_lets_every_budget_be_worked_out(alice, leo, jane):
    from budgets import services
    from budgets.tests.factories import add_service, make_assessment, make_eligible

    services.tariff_create(
        acting_user=leo,
        effective_from=datetime.date(2025, 4, 1),
        price_per_point=Decimal("10000.00"),  # the largest tariff the form takes
        points={
            d.value: dict.fromkeys((level.value for level in calculate.NeedLevel), 100_000) for d in calculate.Domain
        },
    )
    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(
        person=jane, coordinator=alice, levels={d.value: "very_high" for d in calculate.Domain}
    )
    add_service(assessment=assessment, coordinator=alice)
    version = services.budget_version_create(
        assessment=assessment,
        method="costed",
        adjustment=Decimal("0"),
        adjustment_reason="",
        council_share_means_tested=False,
        acting_user=alice,
    )
    version.refresh_from_db()
    assert version.ras_total == Decimal("8000000000.00")
    with pytest.raises(ValidationError) as error:
        services.budget_version_create(
            assessment=assessment,
            method="ras",
            adjustment=Decimal("0"),
            adjustment_reason="",
            council_share_means_tested=False,
            acting_user=alice,
        )
    assert error.value.message_dict == {
        "adjustment": ["The budget cannot be more than £5,000,000 a year. Check the figures"]
    }


def test_digits_the_tariff_form_refuses_arabic_indic_and_full_width_points(client, leo):
    from django.urls import reverse

    from budgets.models import Tariff
    from budgets.tests.factories import points_table

    client.force_login(leo)
    data = {"effective_from_day": "1", "effective_from_month": "4", "effective_from_year": "2026"}
    data |= {f"points_{d}_{level}": str(p) for d, levels in points_table().items() for level, p in levels.items()}
    data |= {
        "price_per_point": "250",
        "points_social_low": "١٢",
        "points_social_high": "１２",
        "points_work_low": "1_0",
    }
    response = client.post(reverse("budgets:tariff_new"), data)
    assert response.status_code == 200
    assert response.text.count("Enter points as a whole number, like 4") >= 3
    assert not Tariff.objects.exists()


@pytest.mark.parametrize("typed", ["\u0661\u0660", "\uff11\uff10", "1_0", "1e1", "NaN"])
def test_digits_the_service_form_refuses_numbers_not_written_with_0_to_9(client, alice, jane, typed):
    from django.urls import reverse

    from budgets.models import CurrentService
    from budgets.tests.factories import make_assessment, make_eligible

    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(person=jane, coordinator=alice)
    client.force_login(alice)
    data = {
        "name": "Home care",
        "provider": "",
        "service_type": "",
        "funding": "nhs_spot",
        "unit_cost": "18.50",
        "units": typed,
        "unit_kind": "hour",
        "period": "week",
    }
    response = client.post(reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk}), data)
    assert response.status_code == 200
    assert "Enter the number of units as a number, like 10 or 2.5" in response.text
    assert not CurrentService.objects.exists()
