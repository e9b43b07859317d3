import datetime

import factory

from people.models import CareTeam, Person, PortalAccess, User
from people.nhs_number import test_range_number
from phb.roles import Role

PASSWORD = "correct-horse-battery-staple"


class CareTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeam
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Care team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.nhs.uk")
    role = Role.COORDINATOR
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.add(*extracted)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    nhs_number = factory.Sequence(lambda n: test_range_number(n + 500))
    given_name = factory.Faker("first_name", locale="en_GB")
    family_name = factory.Faker("last_name", locale="en_GB")
    date_of_birth = factory.Faker(
        "date_between", start_date=datetime.date(1930, 1, 1), end_date=datetime.date(2015, 1, 1)
    )
    address_line_1 = factory.Faker("street_address", locale="en_GB")
    town = "Leeds"
    postcode = "LS1 4AP"
    care_team = factory.SubFactory(CareTeamFactory)


class PortalAccessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PortalAccess

    user = factory.SubFactory(UserFactory, role=Role.PATIENT)
    person = factory.SubFactory(PersonFactory)
