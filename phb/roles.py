"""Roles, and the few questions every access function asks of them.

A user has exactly one role. Access to records is decided per aggregate in
each app's access.py; this module only answers "what kind of user is this".
"""

from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Care coordinator"
    APPROVER = "approver", "PHB team member"
    LEAD = "lead", "PHB team lead"
    PATIENT = "patient", "Patient or representative"
    ADMIN = "admin", "Administrator"


STAFF_ROLES = frozenset({Role.COORDINATOR, Role.APPROVER, Role.LEAD})
PHB_TEAM_ROLES = frozenset({Role.APPROVER, Role.LEAD})


def has_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.role in roles)


def is_clinical_staff(user) -> bool:
    """Staff who may see people's records (within the limits of their role)."""
    return has_role(user, *STAFF_ROLES)


def is_phb_team(user) -> bool:
    return has_role(user, *PHB_TEAM_ROLES)
