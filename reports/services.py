"""The one thing reports writes: a quarter's NHS England return marked submitted, its figures frozen."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from reports import access
from reports.models import SubmittedReturn
from reports.quarters import Quarter
from reports.returns import QuarterlyReturn, quarterly_return


def frozen(result: QuarterlyReturn) -> dict:
    """The return's figures as they are kept: each category's cells and the totals', in the return's order."""
    return {"rows": {str(row.category): list(row.cells) for row in result.rows}, "total": list(result.total.cells)}


def changed_since(result: QuarterlyReturn, submitted: SubmittedReturn | None) -> dict:
    """The figures that differ from what was submitted: {(row's category, None for the totals; the figure's place
    in Row.cells): the figure as submitted}. Empty when the quarter was not submitted or nothing has changed."""
    if submitted is None:
        return {}
    kept = frozen(result)
    changed = {}
    for row in (*result.rows, result.total):
        was = submitted.figures["total"] if row.category is None else submitted.figures["rows"].get(str(row.category))
        now = kept["total"] if row.category is None else kept["rows"][str(row.category)]
        for place, (before, after) in enumerate(zip(was or [], now, strict=False)):
            if before != after:
                changed[row.category, place] = before
    return changed


def submit_return(*, quarter: Quarter, acting_user) -> SubmittedReturn:
    """Marks the quarter's return (every care team's) submitted to NHS England, keeping its figures as they are
    now. Once a quarter: a second try is refused with who marked it and when."""
    today = timezone.localdate()
    with transaction.atomic():
        submitted = SubmittedReturn.objects.select_related("submitted_by").filter(quarter=quarter.code).first()
        refusal = access.submit_refusal(acting_user, quarter, today=today, submitted=submitted)
        if refusal:
            raise ServiceError(refusal)
        result = quarterly_return(quarter, today=today)
        try:
            with transaction.atomic():
                kept = SubmittedReturn.objects.create(
                    quarter=quarter.code, figures=frozen(result), submitted_by=acting_user
                )
        except IntegrityError:
            # Someone else marked it at the same moment: theirs stands.
            message = f"The return for {quarter.short_label} has just been marked submitted by someone else."
            raise ServiceError(message) from None
        audit.record(
            actor=acting_user,
            action=AuditAction.SUBMIT,
            obj=kept,
            summary=f"Marked the NHS England return for {quarter.short_label} submitted: "
            f"{result.total.in_quarter.total} people in the quarter",
        )
    return kept
