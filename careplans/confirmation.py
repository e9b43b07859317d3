"""What a confirmation panel says after a plan is submitted or decided: what happened, which letter was
made and who was told, read back from the records the services wrote (the status event, its e-mail in the
outbox, the letter), so the panel says what was done rather than what a view hoped."""

from dataclasses import dataclass

from careplans.models import DecisionEmail, EventKind, Letter, LetterKind, PlanEvent, PlanVersion, Status

# The status a confirmation is about, and the letter that move makes.
CONFIRMED = {
    Status.SUBMITTED: None,
    Status.APPROVED: LetterKind.APPROVAL,
    Status.RETURNED: LetterKind.RETURN,
    Status.DECLINED: LetterKind.DECLINE,
}
TITLES = {
    Status.SUBMITTED: "Plan submitted",
    Status.APPROVED: "Plan approved",
    Status.RETURNED: "Plan returned for changes",
    Status.DECLINED: "Plan declined",
}


@dataclass(frozen=True)
class Confirmation:
    status: str
    title: str
    event: PlanEvent
    letter: Letter | None
    email: DecisionEmail | None
    draft: PlanVersion | None  # the copy to change, after a return

    # What the template asks, so it never spells a status.
    @property
    def submitted(self) -> bool:
        return self.status == Status.SUBMITTED

    @property
    def approved(self) -> bool:
        return self.status == Status.APPROVED

    @property
    def returned(self) -> bool:
        return self.status == Status.RETURNED

    @property
    def declined(self) -> bool:
        return self.status == Status.DECLINED


def confirmation_for(version: PlanVersion) -> Confirmation | None:
    """The latest submission or decision of this version, or None when it has had none (a draft)."""
    event = (
        version.events.filter(kind=EventKind.STATUS, to_status__in=list(CONFIRMED))
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        return None
    status = Status(event.to_status)
    kind = CONFIRMED[status]
    letter = (
        Letter.objects.filter(plan_version=version, kind=kind)
        .only("id", "kind", "created_at")
        .order_by("-created_at")
        .first()
        if kind
        else None
    )
    draft = None
    if status == Status.RETURNED:
        draft = PlanVersion.objects.filter(plan_id=version.plan_id, status=Status.DRAFT).only("id", "number").first()
    return Confirmation(
        status=status,
        title=TITLES[status],
        event=event,
        letter=letter,
        email=DecisionEmail.objects.filter(event=event).only("id", "to", "sent_at").first(),
        draft=draft,
    )
