"""The test personas, made once here: the root conftest's fixtures (north, south, alice, bob, charlie, priya) call
these, and so does a module that builds its data once for all its tests (reports/tests/test_returns.py)."""

from people.tests.factories import CareTeamFactory, UserFactory
from phb.roles import Role

# Real hashing costs ~0.3 s a user; tests check who may do what, not hash strength.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def north():
    return CareTeamFactory(name="North Leeds community team")


def south():
    return CareTeamFactory(name="South Leeds community team")


def alice(team):
    return UserFactory(username="alice", first_name="Alice", last_name="Adams", teams=[team])


def bob(team):
    return UserFactory(username="bob", first_name="Bob", last_name="Brown", teams=[team])


def charlie(team):
    return UserFactory(username="charlie", first_name="Charlie", last_name="Clark", teams=[team])


def priya():
    return UserFactory(username="priya", first_name="Priya", last_name="Patel", role=Role.APPROVER)
