"""The screening outcome letter: what it says is decided here, from the screening alone."""

import datetime
import re
from string import Formatter

from eligibility.models import Decision, Screening
from eligibility.rules import WORDINGS, Outcome, Wording
from phb.letterhead import letterhead

RECONSIDER = (
    "You can ask us to look at this decision again. Contact your care coordinator or the personal health budget "
    "team within 28 days of the date of this letter and tell us why. Someone who was not involved in the decision "
    "will look at it again and write to you. A friend, family member or advocate can help you."
)


def _pattern(wording: Wording) -> re.Pattern:
    """The staff text with each {placeholder} as a named group, to find the values a kept text was written with."""
    parts = []
    for literal, name, _spec, _conversion in Formatter().parse(wording.staff):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+)")
    return re.compile("".join(parts), re.DOTALL)


_PATTERNS = [(_pattern(wording), wording) for wording in WORDINGS]


def wording_for(text: str) -> tuple[Wording, dict[str, str]] | None:
    """The wording a reason or next step kept on a screening was written from, and the values it was given."""
    for pattern, wording in _PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return wording, match.groupdict()
    return None


def to_letter(text: str) -> str:
    """A reason or next step as kept on the screening (about the person, for staff) in the letter's words (to
    the person), with the same cohort names and services. A text no wording matches (written by an older
    version of the rules) is given as it was kept rather than left out."""
    found = wording_for(text)
    if found is None:
        return text
    wording, values = found
    return wording.letter.format(**values)


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
    # The PHB team's reason is written for the person already (the decision form asks for it).
    reasons = [screening.decision_reason] if screening.decision_reason else [to_letter(r) for r in screening.reasons]
    return {
        **letterhead(),
        "today": today,
        "person": screening.person,
        "coordinator": screening.person.lead_coordinator,
        "screening": screening,
        "headline": headline,
        "reasons": reasons,
        "next_steps": [to_letter(step) for step in screening.next_steps] if declined else [],
        "reconsider": RECONSIDER if declined else "",
        "eligible": kind in {"approved", "eligible", "offer"},
    }
