import datetime

import factory

from eligibility import services
from eligibility.models import IPCCohort


class IPCCohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IPCCohort
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"cohort-{n}")
    name = factory.Sequence(lambda n: f"Cohort {n}")


def referral(*, person, coordinator, services_in_block=("Day centre (block contract)",), on=None):
    """A screening referred to the PHB team: an individually commissioned package."""
    return services.screening_create(
        person=person,
        screened_on=on or datetime.date(2026, 1, 5),
        funding="none",
        hospital_inpatient=False,
        section_117="none",
        wheelchair=False,
        commissioned_package=True,
        package_description="Complex learning disability package",
        block_contract_services=list(services_in_block),
        acting_user=coordinator,
    )
