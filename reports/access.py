"""Who may see and do what in reports. Every view and service asks these; nothing writes a role check again.

- The dashboard and the outcomes report: staff. A coordinator's figures are their own care teams'; the PHB
  team's are everyone's.
- The NHS England return: the PHB team (it is the ICB's, across every care team). Marking a quarter
  submitted: the PHB team lead, once the quarter is over, once a quarter.
- Patients and administrators: a 404 (an audited refusal), as on every staff page.
"""

import datetime

from people.access import require_staff, team_ids
from phb.refusals import refuse_role
from phb.roles import Role, has_role, is_phb_team
from phb.words import date_and_time, long_date
from reports.quarters import Quarter


def teams_seen(user) -> list[int] | None:
    """The care teams whose figures the user sees: None for everyone (the PHB team), else their own."""
    require_staff(user)
    return None if is_phb_team(user) else team_ids(user)


def return_refusal(user) -> str:
    """Why the user may not see the NHS England return; "" when they may (the dashboard's link asks this)."""
    return "" if is_phb_team(user) else "The NHS England return is for the PHB team."


def require_return(user) -> None:
    require_staff(user)
    if return_refusal(user):
        refuse_role()


def submit_refusal(user, quarter: Quarter, *, today: datetime.date, submitted=None) -> str:
    """Why the user may not mark the quarter's return submitted now; "" when they may.
    submitted: the quarter's SubmittedReturn, if there is one."""
    if not has_role(user, Role.LEAD):
        return "Only a PHB team lead can mark a return as submitted."
    if submitted is not None:
        return (
            f"The return for {quarter.short_label} was marked submitted on "
            f"{date_and_time(submitted.submitted_at)} by {submitted.submitted_by.display_name}."
        )
    if today <= quarter.end:
        return (
            f"{quarter.short_label} ends on {long_date(quarter.end)}. "
            "You can mark its return submitted from the day after."
        )
    return ""
