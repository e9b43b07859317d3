"""The audit trail: one append-only row for every change and every staff view."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    """What happened, so the trail can be filtered without reading the summaries."""

    CREATE = "create", "Created"
    UPDATE = "update", "Changed"
    REMOVE = "remove", "Removed"
    VIEW = "view", "Viewed"
    SEARCH = "search", "Searched"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    # Referrals and budgets
    DECIDE = "decide", "Decided on a referral"
    SIGN_OFF = "sign_off", "Signed off"
    # The plan lifecycle
    SUBMIT = "submit", "Submitted"
    ASSIGN = "assign", "Took to decide"
    APPROVE = "approve", "Approved"
    RETURN = "return", "Returned for changes"
    DECLINE = "decline", "Declined"
    ACTIVATE = "activate", "Made active"
    SUPERSEDE = "supersede", "Replaced by a newer version"
    WITHDRAW = "withdraw", "Withdrawn"
    END = "end", "Ended"
    REQUEST_END = "request_end", "Asked for a budget to be ended"
    CONFIRM_END = "confirm_end", "Confirmed an ending"
    REFUSE_END = "refuse_end", "Refused an ending"
    # Reviews
    REQUEST_REVIEW = "request_review", "Asked for a review"
    RECORD_REVIEW = "record_review", "Recorded a review"
    MOVE_REVIEWS = "move_reviews", "Moved reviews"
    CANCEL_REVIEWS = "cancel_reviews", "Cancelled reviews"
    # Online access and messages
    INVITE = "invite", "Invited to see records online"
    ACCEPT_INVITATION = "accept_invitation", "Accepted an invitation"
    CANCEL_INVITATION = "cancel_invitation", "Cancelled an invitation"
    REVOKE = "revoke", "Stopped online access"
    SEND_MESSAGE = "send_message", "Sent a message"
    READ_MESSAGES = "read_messages", "Read messages"
    # Messages the service sends (the outbox)
    RETRY_SEND = "retry_send", "Tried sending again"
    # Security: second factors, lockouts, passwords and sessions
    ENROL_FACTOR = "enrol_factor", "Set up a second factor"
    VERIFY_FACTOR = "verify_factor", "Completed the second factor"
    FACTOR_FAILED = "factor_failed", "Second factor failed"
    USE_RECOVERY_CODE = "use_recovery_code", "Used a recovery code"
    REMOVE_FACTOR = "remove_factor", "Removed a second factor"
    RESET_FACTORS = "reset_factors", "Reset someone's second factors"
    LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
    UNLOCK = "unlock", "Unlocked sign-in"
    ASK_PASSWORD_RESET = "ask_password_reset", "Asked to reset a password"
    RESET_PASSWORD = "reset_password", "Reset a password"
    CHANGE_PASSWORD = "change_password", "Changed a password"
    END_SESSIONS = "end_sessions", "Ended sessions"
    TIMED_OUT = "timed_out", "Signed out after inactivity"
    ACCESS_REFUSED = "access_refused", "Was refused access"
    # Money in use
    SCHEDULE_PAYMENTS = "schedule_payments", "Worked out payments"
    CONFIRM_RUN = "confirm_run", "Confirmed a payment run"
    CANCEL_RUN = "cancel_run", "Cancelled a payment run"
    IMPORT_STATEMENT = "import_statement", "Added a statement"
    MATCH_SPEND = "match_spend", "Matched spending to the plan"
    HOLD_PAYMENTS = "hold_payments", "Held payments"
    RESUME_PAYMENTS = "resume_payments", "Resumed payments"
    RECORD_INVOICE = "record_invoice", "Recorded an invoice"
    PROPOSE_RECLAIM = "propose_reclaim", "Proposed a repayment or stopping"
    RECORD_RESPONSE = "record_response", "Recorded a response"
    DECIDE_RECLAIM = "decide_reclaim", "Decided a repayment or stopping"
    # The audit trail itself
    VIEW_LIST = "view_list", "Viewed a list"
    EXPORT = "export", "Exported"
    PURGE = "purge", "Removed old audit events"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Copied at the time of the event, so the trail still reads true after a
    # user is renamed or changes role.
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The person whose record this is about, so a person's trail is one query.
    person_id = models.UUIDField(null=True, blank=True)
    summary = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["person_id", "at"], name="audit_person_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username or 'system'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        # The database refuses too (see the migration); this gives a clear
        # error before the round trip, and on every database.
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class SentForm(models.Model):
    """A form that has been sent and what it made: its one-time token (put in the form by {% once_field %})
    and the page its first sending led to. A second sending of the same form finds this row and goes to
    that page instead of doing the work again (phb.once). Rows older than phb.once.KEPT_FOR are removed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64)
    result_url = models.CharField(max_length=2000, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "token"], name="sent_form_once_per_user")]
        indexes = [models.Index(fields=["sent_at"], name="sent_form_sent_at")]

    def __str__(self):
        return f"Form sent by {self.user_id} at {self.sent_at:%Y-%m-%d %H:%M}"
