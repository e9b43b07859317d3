"""Errors that services raise and views turn into messages for the user."""

from django.core.exceptions import ValidationError


class ServiceError(Exception):
    """A rule of the service refused the action; the message is shown to the user."""


class StaleRecordError(ServiceError):
    """Someone else saved the record after this form was opened."""

    def __init__(self, *, changed_by: str, changed_at, noun: str = "record"):
        self.changed_by = changed_by
        self.changed_at = changed_at
        when = changed_at.strftime("%-d %B %Y at %-I:%M%p").replace("AM", "am").replace("PM", "pm")
        super().__init__(
            f"This {noun} was changed by {changed_by} on {when}. "
            "Reload the page to see their changes, then make yours again."
        )


__all__ = ["ServiceError", "StaleRecordError", "ValidationError"]
