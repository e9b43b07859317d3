"""Invitations to see one's own records online, and messages between a person and their coordinator."""

import hashlib
import uuid

from django.conf import settings
from django.db import models


class Relationship(models.TextChoices):
    SELF = "self", "The person themselves"
    PARENT = "parent", "Parent or guardian (for a child)"
    DEPUTY = "deputy", "Deputy appointed by the Court of Protection"
    ATTORNEY = "attorney", "Lasting power of attorney for health and welfare"
    OTHER = "other", "Other representative"


def hash_token(token: str) -> str:
    """What is kept of an invitation's token: its SHA-256, so a copy of the database cannot be used to sign in."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def usable(self, *, now):
        """Invitations that can still be accepted: not used yet, and not expired."""
        return self.filter(used_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use link, sent by e-mail, that lets someone set a password and see a person's records.

    Only a hash of the token is stored, so a copy of the database cannot be used to sign in.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="invitations")
    email = models.EmailField("Email address")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation to {self.email} for {self.person}"


class Message(models.Model):
    """A short secure message in the thread between a person (or their representative) and their care team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="portal_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    body = models.CharField(max_length=2000)  # portal.services.MESSAGE_LIMIT
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["person", "created_at"], name="message_thread")]

    def __str__(self):
        return f"Message from {self.sender} about {self.person}"


class NhsLoginIdentity(models.Model):
    """An NHS login account linked to the service's account for a person or representative (portal.nhs_login).

    The link is made once, through an invitation, and the NHS login subject (`sub`, NHS login's own id for the
    account, which never changes) is what signs them in from then on; an e-mail address or NHS number in a later
    sign-in is never used to find the account.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nhs_login")
    subject = models.CharField(max_length=255, unique=True)
    linked_at = models.DateTimeField(auto_now_add=True)
    last_signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "NHS login identity"
        verbose_name_plural = "NHS login identities"

    def __str__(self):
        return f"NHS login for {self.user}"
