"""The screening outcome letter: what it says is decided here, from the screening alone."""

import datetime

from django.conf import settings

from eligibility.models import Decision, Screening
from eligibility.rules import Outcome

RECONSIDER = (
    "If you disagree with this decision, you can ask us to look at it again. Contact your care coordinator "
    "or the personal health budget team within 28 days of the date of this letter and tell us why. Someone "
    "who was not involved in this decision will look at it again and write to you with the result. You can "
    "ask a friend, family member or advocate to help you."
)


def _headline(screening: Screening) -> tuple[str, str]:
    """A sentence saying the outcome, and a title for the letter."""
    if screening.decision == Decision.APPROVED:
        return "You can have a personal health budget.", "approved"
    if screening.decision == Decision.DECLINED:
        return "We have decided that you cannot have a personal health budget at the moment.", "declined"
    if screening.decision == Decision.AWAITING:
        return (
            "We have asked our personal health budget team to decide whether you can have a personal health budget. "
            "We will write to you again when they have decided.",
            "referred",
        )
    if screening.outcome == Outcome.ELIGIBLE:
        return "You have the right to have a personal health budget.", "eligible"
    if screening.outcome == Outcome.IPC_OFFER:
        return "We can offer you a personal health budget.", "offer"
    return "You cannot have a personal health budget at the moment.", "not_eligible"


def letter_context(screening: Screening, *, today: datetime.date) -> dict:
    headline, kind = _headline(screening)
    declined = kind in {"declined", "not_eligible"}
    reasons = [screening.decision_reason] if screening.decision_reason else list(screening.reasons)
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "today": today,
        "person": screening.person,
        "screening": screening,
        "outcome": screening.effective_outcome,
        "headline": headline,
        "reasons": reasons,
        "next_steps": list(screening.next_steps) if declined else [],
        "reconsider": RECONSIDER if declined else "",
        "eligible": kind in {"approved", "eligible", "offer"},
    }
