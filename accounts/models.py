"""Sessions stored with the signed-in user's id beside them.

Django's own session table keeps the user id inside the encoded data, so ending one user's sessions
means decoding every session there is. This table has the id in an indexed column: deactivating a
user, changing their role or resetting their password ends their sessions with one DELETE.

Also the CIS2 role mappings the administrator edits, and the CIS2 accounts linked to staff (accounts.cis2).
"""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models

from phb.roles import Role


class UserSession(AbstractBaseSession):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore


class Cis2CodeKind(models.TextChoices):
    ROLE = "role", "Role code"
    ACTIVITY = "activity", "Activity code"


# The app roles a CIS2 role may give: any but patient (people sign in with NHS login, never through CIS2).
CIS2_APP_ROLES = [(role.value, role.label) for role in Role if role != Role.PATIENT]


class Cis2RoleMapping(models.Model):
    """Which app role a CIS2 role gives (accounts.cis2). The service administrator edits these in the admin.

    A role code matches a CIS2 role by its full code ("S8000:G8000:R8000") or by its last part ("R8000"); an
    activity code ("B0360") matches a role that carries that activity. A role's own code wins over its
    activities.
    """

    code = models.CharField(
        "CIS2 code",
        max_length=100,
        unique=True,
        help_text='A role code, in full ("S8000:G8000:R8000") or its last part ("R8000"), or an activity code '
        '("B0360"), as CIS2 gives it.',
    )
    kind = models.CharField(
        "Type of code",
        max_length=10,
        choices=Cis2CodeKind.choices,
        default=Cis2CodeKind.ROLE,
        help_text="Whether the code is a CIS2 role or an activity a role carries.",
    )
    role = models.CharField(
        "Role in this service",
        max_length=20,
        choices=CIS2_APP_ROLES,
        help_text="What staff with this CIS2 role can do here.",
    )
    description = models.CharField(
        "What the CIS2 role is",
        max_length=200,
        blank=True,
        help_text='For example "Clinical practitioner access role". Shown only to administrators.',
    )
    created_at = models.DateTimeField("Added", auto_now_add=True)
    updated_at = models.DateTimeField("Last changed", auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "CIS2 role mapping"
        verbose_name_plural = "CIS2 role mappings"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=Role.PATIENT) & ~models.Q(role=""),
                name="cis2_mapping_never_gives_patient",
                violation_error_message="A CIS2 role cannot make someone a patient.",
            ),
        ]

    def __str__(self):
        return f"{self.code} → {self.get_role_display()}"


class Cis2Identity(models.Model):
    """A CIS2 account (its `sub`, CIS2's own id for the person, which never changes) linked to a staff account
    here. Made at the first CIS2 sign-in (accounts.cis2.sign_in); from then on the subject signs them in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cis2")
    subject = models.CharField("CIS2 user id", max_length=255, unique=True)
    linked_at = models.DateTimeField("Linked", auto_now_add=True)
    last_signed_in_at = models.DateTimeField("Last signed in", null=True, blank=True)

    class Meta:
        verbose_name = "CIS2 identity"
        verbose_name_plural = "CIS2 identities"

    def __str__(self):
        return f"CIS2 for {self.user}"
