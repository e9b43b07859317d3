"""Who may add statements and transactions to a plan and match its spending: written once, asked by the
services (payments.statement_services), the staff pages (payments.statement_views) and the portal's pages
(portal.statement_views), which show their buttons exactly when it allows.

- a care coordinator who may change the person's record (people.access: the person's care team);
- a member of the PHB team with the finance permission (payments.access.may_run_payments);
- the person, or their representative, with online access to the person's records (people.models.PortalAccess,
  read here directly: the portal sits above payments, so payments does not import it).
"""

from payments.access import may_run_payments
from payments.models import Receipt, Transaction
from people.access import may_write, visible
from people.models import PortalAccess
from phb.refusals import refuse
from phb.roles import Role, has_role, is_phb_team

REFUSED = (
    "Only the person's care coordinator, a member of the PHB team who handles payments, or the person (or their "
    "representative) can add statements and spending."
)
NO_FINANCE = "You need the finance permission to add statements and spending. Ask an administrator."


def has_portal_access(user, person_id) -> bool:
    """Whether a patient or representative has online access to the person now (one query)."""
    if not has_role(user, Role.PATIENT) or person_id is None:
        return False
    return PortalAccess.objects.filter(user=user, person_id=person_id, revoked_at__isnull=True).exists()


def statement_refusal(user, plan) -> str:
    """Why the user may not add statements or transactions to the plan, or match its spending ("" when they
    may). The plan's person is read from plan.person when it is loaded (no query for staff)."""
    if has_role(user, Role.COORDINATOR):
        return "" if may_write(user, plan.person) else REFUSED
    if is_phb_team(user):
        return "" if may_run_payments(user) else NO_FINANCE
    if has_portal_access(user, plan.person_id):
        return ""
    return REFUSED


def may_add_statements(user, plan) -> bool:
    return not statement_refusal(user, plan)


# Staff: a receipt or a transaction of a plan whose person the user may see (careplans.access's scope); else 404.


def get_receipt_for_user(user, pk) -> Receipt:
    """A receipt (with its plan and person) of a plan the user may see; a 404 for anyone else."""
    receipt = Receipt.objects.select_related("plan__person").filter(visible(user, "plan__person__"), pk=pk).first()
    if receipt is None:
        refuse(Receipt, pk, person="plan__person_id", message="No receipt found")
    return receipt


def get_transaction_for_user(user, pk) -> Transaction:
    """A transaction (with its plan and person) of a plan the user may see; a 404 for anyone else."""
    found = Transaction.objects.select_related("plan__person").filter(visible(user, "plan__person__"), pk=pk).first()
    if found is None:
        refuse(Transaction, pk, person="plan__person_id", message="No transaction found")
    return found
