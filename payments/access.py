"""Who may do what with the money in use: written once, asked by the services, the views and the templates."""

from payments.models import RunStatus
from phb.roles import is_phb_team
from phb.words import date_and_time

RUN_PAYMENTS = "payments.run_payments"  # the finance permission (payments.models.PaymentRun's Meta)


def run_refusal(user) -> str:
    """Why the user may not make, confirm or cancel payment runs ("" when they may): a member of the PHB team
    given the finance permission (directly, or through a group such as "Finance") by an administrator."""
    if not is_phb_team(user):
        return "Only the PHB team can make or confirm payment runs."
    if not user.has_perm(RUN_PAYMENTS):
        return "You need the finance permission to make or confirm payment runs. Ask an administrator."
    return ""


def may_run_payments(user) -> bool:
    return not run_refusal(user)


def decide_refusal(user, run) -> str:
    """Why the user may not confirm or cancel this payment run ("" when they may): they handle payments, the
    run is still waiting, and someone else made it (four eyes). The run page shows its buttons exactly when
    this is ""; the services ask it again under the run's row lock."""
    refusal = run_refusal(user)
    if refusal:
        return refusal
    if run.status != RunStatus.WAITING:
        return (
            f"{run.decided_by.display_name} already {run.get_status_display().lower()} payment run {run.pk} "
            f"on {date_and_time(run.decided_at)}."
        )
    if run.created_by_id == user.pk:
        return "Someone else in the PHB team who handles payments must confirm or cancel a run you made."
    return ""
