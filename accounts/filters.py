"""A lead's list of locked sign-ins, filtered by whose account it is and sorted, from the query string
(phb.listing). The list is built whole in Python (accounts.services.lockouts_current: only the last 30
minutes' attempts), so it is filtered and sorted here rather than in the database."""

import django_filters
from axes.models import AccessAttempt

from phb.listing import ListFilter, Sort
from phb.roles import Role

WHOSE_CHOICES = [("staff", "Staff"), ("people", "Patients or representatives"), ("none", "Not an account")]

# In Python: (the key of each row, then the tie-break of the list's own order).
KEYS = {
    "until": lambda lockout: (lockout.locked_until, lockout.attempt_id),
    "tries": lambda lockout: (lockout.failures, lockout.locked_until, lockout.attempt_id),
}


def _whose(lockout) -> str:
    if lockout.account is None:
        return "none"
    return "people" if lockout.account.role == Role.PATIENT else "staff"


class LockoutFilter(ListFilter):
    SORTS = {
        "until": Sort("locked until, soonest first", None, reversed_words="locked until, latest first"),
        "tries": Sort("failed tries, fewest first", None, reversed_words="failed tries, most first"),
    }
    DEFAULT_SORT = "-until"

    whose = django_filters.ChoiceFilter(label="Whose sign-in", choices=WHOSE_CHOICES, empty_label="Anyone's")

    class Meta:
        model = AccessAttempt  # only for django-filter: the rows are not a queryset (arranged())
        fields = []

    def arranged(self, lockouts: list) -> list:
        whose = self.valid("whose")
        chosen = [lockout for lockout in lockouts if not whose or _whose(lockout) == whose]
        key = self.sort_key
        return sorted(chosen, key=KEYS[key.lstrip("-")], reverse=key.startswith("-"))
