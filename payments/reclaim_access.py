"""Who may do what with a repayment or a stopping of direct payments (payments.reclaims): written once, asked by
the services (under the action's row lock), the views and the templates. A page shows a button exactly when its
refusal is "".

- Propose: a member of the PHB team. The finance permission (payments.access.RUN_PAYMENTS) is not needed: asking
  for money back or stopping direct payments is the ICB's decision about the plan under regulations 13 and 14,
  not the handling of a payment. Money only moves through payment runs, which still need two people with the
  finance permission; a repayment paid back is recorded as a transaction, which coordinators may add too.
- Record the person's response: whoever proposed it, a coordinator of the person's care team, or the PHB team,
  while it waits for a decision.
- Decide: a member of the PHB team who did not propose it (four eyes; a check constraint holds it too), once the
  respond-by date has passed or a response has been recorded.
- Withdraw: whoever proposed it or the PHB team, only while it waits for a decision.
"""

from django.utils import timezone

from payments.models import ActionStatus, MoneyAction
from people.access import may_write, visible
from phb.refusals import refuse
from phb.roles import is_phb_team
from phb.words import date_and_time, long_date, lower_first


def get_action_for_user(user, pk, *, actions=None) -> MoneyAction:
    """A repayment or stopping of a plan of a person the user may see (the PHB team everyone, a coordinator their
    care teams' people), or a refusal (a 404, audited). actions: the queryset to read it from."""
    if actions is None:
        actions = MoneyAction.objects.select_related("plan__person", "proposed_by", "decided_by")
    action = actions.filter(visible(user, "plan__person__"), pk=pk).first()
    if action is None:
        refuse(MoneyAction, pk, person="plan__person_id", message="No repayment or stopping found")
    return action


def _not_waiting(action: MoneyAction) -> str:
    """Why an action no longer waits for a decision, or ""."""
    if action.status == ActionStatus.PROPOSED:
        return ""
    if action.status == ActionStatus.WITHDRAWN:
        return f"This {lower_first(action.get_kind_display())} was withdrawn."
    who = action.decided_by.display_name if action.decided_by_id else "Someone"
    when = date_and_time(action.decided_at) if action.decided_at else ""
    return f"{who} already decided on this {lower_first(action.get_kind_display())} on {when}."


def propose_refusal(user) -> str:
    """Why the user may not propose a repayment or a stopping ("" when they may)."""
    if not is_phb_team(user):
        return "Only the PHB team can propose a repayment or stopping direct payments."
    return ""


def respond_refusal(user, action: MoneyAction) -> str:
    """Why the user may not record the person's response ("" when they may). action.plan.person is read."""
    if not (action.proposed_by_id == user.pk or is_phb_team(user) or may_write(user, action.plan.person)):
        return "Only the PHB team, or a care coordinator in the person's care team, can record the person's response."
    return _not_waiting(action)


def decide_refusal(user, action: MoneyAction, *, today=None) -> str:
    """Why the user may not decide ("" when they may): see the module's docstring."""
    if not is_phb_team(user):
        return "Only the PHB team can decide on a repayment or stopping direct payments."
    waiting = _not_waiting(action)
    if waiting:
        return waiting
    if action.proposed_by_id == user.pk:
        return "Someone else in the PHB team must decide on a repayment or stopping you proposed."
    today = today or timezone.localdate()
    if not action.waits_for_decision(today):
        return (
            f"The person has until {long_date(action.respond_by)} to respond. Record their response, or decide "
            "after that date."
        )
    return ""


def withdraw_refusal(user, action: MoneyAction) -> str:
    """Why the user may not withdraw the proposal ("" when they may)."""
    if not (action.proposed_by_id == user.pk or is_phb_team(user)):
        return "Only the PHB team can withdraw a repayment or stopping."
    return _not_waiting(action)
