"""Errors that services raise and views turn into messages for the user."""

from django.core.exceptions import ValidationError

from phb.words import date_and_time


class ServiceError(Exception):
    """A rule of the service refused the action; the message is shown to the user."""


class StaleRecordError(ServiceError):
    """Someone else saved the record after this form was opened."""

    def __init__(self, *, changed_by: str, changed_at, noun: str = "record"):
        self.changed_by = changed_by
        self.changed_at = changed_at
        when = date_and_time(changed_at)
        super().__init__(
            f"This {noun} was changed by {changed_by} on {when}. "
            "Reload the page to see their changes, then make yours again."
        )


__all__ = ["ServiceError", "StaleRecordError", "ValidationError"]
