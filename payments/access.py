"""Who may do what with the money in use: written once, asked by the services, the views and the templates."""

from phb.roles import is_phb_team

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
