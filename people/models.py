"""Users, care teams and the people the service supports."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from people import nhs_number
from phb.outbox import OutboxRow
from phb.roles import Role


class PHBUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class CareTeam(models.Model):
    name = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A person who signs in. Every user has exactly one role.

    The default role is patient because a patient with no linked records can
    see nothing: a user created by mistake is harmless.
    """

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    teams = models.ManyToManyField(CareTeam, blank=True, related_name="members")

    objects = PHBUserManager()

    class Meta:
        ordering = ["username"]
        constraints = [
            # People sign in with their e-mail address (people.backends), matched in any case.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_any_case",
                violation_error_message="Another account already uses this email address.",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class RepresentativeRole(models.TextChoices):
    NONE = "", "No representative or nominee"
    REPRESENTATIVE = "representative", "Representative"
    NOMINEE = "nominee", "Nominee"


class ContactChannel(models.TextChoices):
    """How a person wants the service's reminders to reach them (people.contact)."""

    EMAIL = "email", "Email"
    TEXT = "text", "Text message"


class EngagementSupport(models.TextChoices):
    """How much help a person needs to set goals and use a budget (set by their latest assessment)."""

    UNKNOWN = "", "Not assessed yet"
    INDEPENDENT = "independent", "Independent"
    SOME = "some", "Some support"
    SUBSTANTIAL = "substantial", "Substantial support"


class Person(models.Model):
    """Someone who has, or may have, a personal health budget."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nhs_number = models.CharField("NHS number", max_length=10, unique=True)
    given_name = models.CharField("First name", max_length=100)
    family_name = models.CharField("Last name", max_length=100)
    preferred_name = models.CharField("Preferred name", max_length=100, blank=True)
    date_of_birth = models.DateField("Date of birth")

    address_line_1 = models.CharField("Address line 1", max_length=200)
    address_line_2 = models.CharField("Address line 2", max_length=200, blank=True)
    town = models.CharField("Town or city", max_length=100)
    postcode = models.CharField("Postcode", max_length=8)
    phone = models.CharField("Phone number", max_length=20, blank=True)
    email = models.EmailField("Email address", blank=True)
    gp_practice = models.CharField("GP practice", max_length=200, blank=True)

    representative_role = models.CharField(
        "Representative or nominee", max_length=20, choices=RepresentativeRole.choices, blank=True
    )
    representative_name = models.CharField("Their name", max_length=200, blank=True)
    representative_relationship = models.CharField("Their relationship to the person", max_length=100, blank=True)
    representative_contact = models.CharField("Their phone number or email", max_length=200, blank=True)

    care_team = models.ForeignKey(CareTeam, on_delete=models.PROTECT, related_name="people")
    lead_coordinator = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_for",
        limit_choices_to={"role": Role.COORDINATOR},
    )

    wants_review_reminders = models.BooleanField(
        "Contact them: reminders 28 and 7 days before each review and when a bank statement is overdue, and news "
        "of their budget, plan and messages",
        default=False,
    )
    contact_by = models.CharField(
        "How to contact them", max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL
    )
    letters_by_post = models.BooleanField(
        "Post their letters to them",
        default=False,
        help_text="Letters about their budget and plan are also posted to their address. They can always see them "
        "online if they have online access.",
    )
    # Copied from the latest assessment so that lists can show who needs more
    # help without a query per row (see budgets.services.assessment_create).
    engagement_support = models.CharField(
        "Engagement support", max_length=20, choices=EngagementSupport.choices, blank=True, editable=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )
    # Optimistic lock: an edit names the version it started from and is refused
    # if someone saved in between (see services.person_update).
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["family_name", "given_name"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(condition=Q(nhs_number__regex=r"^[0-9]{10}$"), name="person_nhs_number_10_digits"),
            models.CheckConstraint(
                condition=Q(representative_role="") | ~Q(representative_name=""),
                name="person_representative_has_name",
            ),
        ]
        indexes = [
            # The caseload's order, for everyone and within a team (team first, so a small team's page
            # is read from its own part of the index, not found by walking every name).
            models.Index(fields=["family_name", "given_name", "id"], name="person_name"),
            models.Index(fields=["care_team", "family_name", "given_name", "id"], name="person_team_name"),
            # "My people" in a coordinator's teams, read from the index alone: each count beside the header's
            # links for a coordinator of 600 read their 282 people's rows again (283 buffers a count).
            models.Index(fields=["lead_coordinator", "care_team", "id"], name="person_led_in_team"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        return nhs_number.formatted(self.nhs_number)


class PortalAccess(models.Model):
    """Links a patient (or their representative) to a person's records."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portal_access")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="portal_access")
    relationship = models.CharField(max_length=100, default="Self")
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "person"], condition=Q(revoked_at__isnull=True), name="portal_access_one_active"
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.person}"


@receiver(m2m_changed, sender=User.teams.through)
def _forget_team_ids(sender, instance, **kwargs):
    """people.access.team_ids keeps a user's team ids on the user object; a change of teams forgets them."""
    if isinstance(instance, User):
        instance.__dict__.pop("_phb_team_ids", None)


class NoticeKind(models.TextChoices):
    """What a notice to the person is about (people.notices has the wording of each)."""

    BUDGET_TOLD = "budget_told", "Indicative budget worked out"
    PLAN_APPROVED = "plan_approved", "Plan approved"
    PLAN_DECLINED = "plan_declined", "Plan not approved"
    PLAN_STARTING = "plan_starting", "Plan starting"
    TEAM_REPLIED = "team_replied", "New message from the care team"


class PersonNotice(OutboxRow):
    """Outbox (phb.outbox): one notice to the person about something that happened to their budget, plan or
    messages, sent the way they chose (people.contact). Written by people.notices.notice_write in the same
    transaction as the event, once for each (kind, event): `about` is the id of what it is about (the plan
    version, budget version or message), kept as text so this app names no model of the apps above it."""

    NOTIFY_KIND = "person-notice"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    about = models.CharField(max_length=40)
    # What the wording fills in, as words already ({"starts": "1 April 2026"}).
    details = models.JSONField(default=dict, blank=True)
    # The page the e-mail links to, when the service's address was known as the event happened.
    link = models.CharField(max_length=500, blank=True)

    class Meta(OutboxRow.Meta):
        constraints = [
            *OutboxRow.Meta.constraints,
            models.UniqueConstraint(fields=["kind", "about"], name="person_notice_once_per_event"),
        ]

    def __str__(self):
        return f"{self.kind} about {self.about}"
