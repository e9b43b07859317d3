"""The PHB team's side of a plan: assign, approve, return, decline; then activate and end (and the endings
that wait for a second person: ask, confirm, refuse).

Each transition is one service: check who may do it (lifecycle.check), a conditional
UPDATE on the status so that of two people acting at once exactly one succeeds,
an event for the timeline, an audit row, a letter kept on the record (posted to the person too when they
chose post), and an e-mail to the coordinator sent after the transaction commits. The person is told
(people.notices) when their plan is approved, not approved, or starts; a plan returned for changes tells only
the coordinator.
"""

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import Truncator

from careplans import emails, letters, lifecycle, rules, schedule
from careplans.lifecycle import Action
from careplans.models import (
    DecisionEmail,
    EndingRequest,
    EndingStatus,
    EndReason,
    EventKind,
    Letter,
    LetterKind,
    PlanEvent,
    PlanVersion,
    Review,
    ReviewKind,
    ReviewStatus,
    Status,
    SupportPlan,
)
from careplans.selectors import snapshot, version_to_end, version_with_details
from careplans.services import copy_to_new_draft, record_event
from people.models import NoticeKind
from people.notices import notice_write
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.pdf import render_pdf
from phb.words import date_and_time, long_date, lower_first

logger = logging.getLogger(__name__)

# What the apps above careplans do when a version becomes active, in the same transaction: each is called with
# the version (now active) and the acting user. payments registers the payment schedule here (payments.apps).
ON_ACTIVATE: list = []
# The same when a budget is ended (at once or from a later date) and when its ending takes effect: each is called
# with the version. payments works the plan's money flags out again here, so an ended budget's go at once.
ON_END: list = []


class AlreadyDecidedError(ServiceError):
    pass


def _already_decided(version: PlanVersion) -> AlreadyDecidedError:
    when = date_and_time(version.decided_at)
    return AlreadyDecidedError(
        f"{version.decided_by.display_name} already decided on this plan on {when}: "
        f"{lower_first(version.get_status_display())}."
    )


def _check(action: Action, version: PlanVersion, user, *, on: datetime.date | None = None) -> None:
    if action in lifecycle.DECISIONS and version.status != Status.SUBMITTED and version.decided_by_id:
        raise _already_decided(PlanVersion.objects.select_related("decided_by").get(pk=version.pk))
    lifecycle.check(action, version, user, on=on)


def _move(
    version: PlanVersion,
    action: Action,
    *,
    to_status: str,
    acting_user,
    summary: str,
    reason: str = "",
    noted: dict | None = None,
    **fields,
) -> tuple[PlanVersion, PlanEvent]:
    """One step of the lifecycle, written once: a compare-and-swap on the status (from the statuses the rule
    allows for the action), the event for the timeline and the audit row (with `noted` values beside the
    status), in the caller's transaction."""
    before = version.status
    updated = PlanVersion.objects.filter(pk=version.pk, status__in=lifecycle.FROM_STATUSES[action]).update(
        status=to_status, **fields
    )
    if not updated:
        # The plan's lock and the rule's check come first, so this is a safety net only.
        current = PlanVersion.objects.get(pk=version.pk)
        raise ServiceError(f"This plan is now {lower_first(current.get_status_display())}, so nothing was changed.")
    moved = version_with_details().get(pk=version.pk)
    event = record_event(moved, from_status=before, to_status=to_status, acting_user=acting_user, reason=reason)
    _audit(moved, acting_user, summary, before, to_status, **(noted or {}))
    return moved, event


def _keep_letter(version: PlanVersion, kind: LetterKind, template: str, context: dict, acting_user) -> Letter:
    """The letter kept on the record; a letter to the person is also posted to them if they chose post
    (careplans.emails.letter_post_write), in this transaction."""
    letter = Letter.objects.create(
        person=version.plan.person,
        plan_version=version,
        kind=kind,
        pdf=render_pdf(template, context),
        created_by=acting_user,
    )
    emails.letter_post_write(letter)
    return letter


def _tell_coordinator(version: PlanVersion, event: PlanEvent, subject: str, body: str) -> None:
    _tell(version.care_coordinator or version.created_by, event, subject, body)


def _tell(coordinator, event: PlanEvent, subject: str, body: str) -> None:
    if not coordinator.email:
        return
    # A subject names the person; the longest names (two of 100 characters) would not fit the column.
    subject = Truncator(subject).chars(DecisionEmail._meta.get_field("subject").max_length)
    email = DecisionEmail.objects.create(event=event, to=coordinator.email, subject=subject, body=body)
    transaction.on_commit(lambda: _queue_email(email.pk))


def _tell_person(version: PlanVersion, kind: NoticeKind) -> None:
    """A notice to the person, the way they chose (people.notices), once for this version and kind."""
    notice_write(
        person=version.plan.person, kind=kind, about=version.pk, details={"starts": long_date(version.start_date)}
    )


def _queue_email(email_id: int) -> None:
    """Hands the e-mail to the worker. If Redis is down the decision still stands: the row waits in the
    outbox and the sweep (send_waiting_emails, every 15 minutes) sends it later."""
    emails.decision_email_queue(email_id)


# What the audit trail calls each move, by the status a version moves to.
AUDIT_ACTIONS = {
    Status.APPROVED: AuditAction.APPROVE,
    Status.RETURNED: AuditAction.RETURN,
    Status.DECLINED: AuditAction.DECLINE,
    Status.ACTIVE: AuditAction.ACTIVATE,
    Status.SUPERSEDED: AuditAction.SUPERSEDE,
    Status.WITHDRAWN: AuditAction.WITHDRAW,
    Status.ENDING: AuditAction.END,
    Status.ENDED: AuditAction.END,
}


def _audit(version: PlanVersion, acting_user, summary: str, before: str, after: str, **extra) -> None:
    audit.record(
        actor=acting_user,
        action=AUDIT_ACTIONS[after],
        obj=version,
        person_id=version.plan.person_id,
        summary=summary,
        changes={"status": [before, after], **{k: [None, str(v)] for k, v in extra.items()}},
    )


def _locked(version: PlanVersion) -> PlanVersion:
    """Locks the plan, then the version, and reads the version afresh. Every move of a plan's versions
    takes the plan's lock first, so two moves on one plan (ending it and approving a change, say)
    happen one after the other and the second sees what the first did."""
    SupportPlan.objects.select_for_update().filter(pk=version.plan_id).exists()
    return version_with_details().select_for_update(of=("self",)).get(pk=version.pk)


def _set_aside(other: PlanVersion, *, to_status: str, reason: str, summary: str, acting_user) -> bool:
    """Marks another version of the plan replaced or withdrawn, if it is still as it was read."""
    if not PlanVersion.objects.filter(pk=other.pk, status=other.status).update(status=to_status):
        return False
    record_event(other, from_status=other.status, to_status=to_status, acting_user=acting_user, reason=reason)
    _audit(other, acting_user, summary, other.status, to_status)
    return True


@transaction.atomic
def plan_assign(*, version: PlanVersion, acting_user) -> PlanVersion:
    """A PHB team member takes a submitted plan to decide on."""
    version = _locked(version)
    lifecycle.check(Action.ASSIGN, version, acting_user)
    # The plan's lock and the rule above make sure it is still waiting for a decision.
    PlanVersion.objects.filter(pk=version.pk).update(assigned_to=acting_user)
    audit.record(
        actor=acting_user,
        action=AuditAction.ASSIGN,
        obj=version,
        person_id=version.plan.person_id,
        summary="Assigned the plan to themselves",
        changes={"assigned_to": [version.assigned_to_id, acting_user.pk]},
    )
    return version_with_details().get(pk=version.pk)


def first_review_due(version: PlanVersion) -> datetime.date:
    """No later than the configured number of months after the start; earlier if the plan says so."""
    latest = schedule.first_review_due(version.start_date, within_months=settings.PLAN_FIRST_REVIEW_WITHIN_MONTHS)
    planned = version.first_review_date
    return planned if planned and version.start_date < planned <= latest else latest


@transaction.atomic
def plan_approve(
    *,
    version: PlanVersion,
    financially_appropriate: bool,
    clinically_appropriate: bool,
    conditions: str = "",
    acting_user,
) -> PlanVersion:
    version = _locked(version)
    _check(Action.APPROVE, version, acting_user)
    missing = {}
    if not financially_appropriate:
        missing["financially_appropriate"] = "Confirm that the plan is financially appropriate"
    if not clinically_appropriate:
        missing["clinically_appropriate"] = "Confirm that the plan is clinically appropriate"
    if missing:
        raise ValidationError(missing)
    total = rules.totals(snapshot(version)).annual
    version, event = _move(
        version,
        Action.APPROVE,
        to_status=Status.APPROVED,
        acting_user=acting_user,
        summary=f"Approved version {version.number} of the plan",
        reason=(conditions or "").strip(),
        decided_by=acting_user,
        decided_at=timezone.now(),
        conditions=(conditions or "").strip(),
        decision_reason="",
        agreed_annual=total,
        noted={"agreed_annual": total},
    )
    # An earlier change still waiting for its start date is replaced by this one before it starts.
    for waiting in version.plan.versions.filter(status=Status.APPROVED, number__lt=version.number):
        _set_aside(
            waiting,
            to_status=Status.SUPERSEDED,
            reason=f"Replaced by version {version.number} before it started",
            summary=f"Version {waiting.number} replaced by version {version.number}",
            acting_user=acting_user,
        )
    # The version in force now stays in force until this one starts (see plan_activate).
    review = version.plan.reviews.filter(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE).first()
    if review is None:
        review = Review.objects.create(plan=version.plan, plan_version=version, due_on=first_review_due(version))
    _keep_letter(
        version,
        LetterKind.APPROVAL,
        "careplans/letter_approval.html",
        letters.decision_letter_context(version, today=timezone.localdate(), review_due=review.due_on),
        acting_user,
    )
    _tell_coordinator(
        version,
        event,
        f"Plan approved for {version.plan.person.full_name}",
        f"{acting_user.display_name} approved version {version.number} of {version.plan.person.full_name}'s "
        f"support plan: £{total:,} a year from {long_date(version.start_date)}. First review due by "
        f"{long_date(review.due_on)}." + (f" Conditions: {version.conditions}" if version.conditions else ""),
    )
    _tell_person(version, NoticeKind.PLAN_APPROVED)
    if version.start_date <= timezone.localdate():
        # The notice of the approval already says when the money starts: no second one for the same moment.
        version = plan_activate(version=version, acting_user=acting_user, tell_person=False)
    return version


def _decide_against(version, *, action, to_status, reason, acting_user, letter_kind, template, subject, body):
    version = _locked(version)
    _check(action, version, acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for your decision"})
    version, event = _move(
        version,
        action,
        to_status=to_status,
        acting_user=acting_user,
        summary=f"{to_status.label} version {version.number} of the plan",
        reason=reason,
        decided_by=acting_user,
        decided_at=timezone.now(),
        decision_reason=reason,
        noted={"reason": reason},
    )
    _keep_letter(
        version,
        letter_kind,
        template,
        letters.decision_letter_context(version, today=timezone.localdate()),
        acting_user,
    )
    _tell_coordinator(version, event, subject, body + f" Reason: {reason}")
    return version


@transaction.atomic
def plan_return(*, version: PlanVersion, reason: str, acting_user) -> PlanVersion:
    """Back to the coordinator with comments: a new draft, copied from this version, is ready to change."""
    returned = _decide_against(
        version,
        action=Action.RETURN,
        to_status=Status.RETURNED,
        reason=reason,
        acting_user=acting_user,
        letter_kind=LetterKind.RETURN,
        template="careplans/letter_return.html",
        subject=f"Plan returned for changes: {version.plan.person.full_name}",
        body=f"{acting_user.display_name} returned version {version.number} of the support plan for changes. "
        "A new draft is ready for you to change and submit again.",
    )
    author = returned.submitted_by or returned.created_by
    copy_to_new_draft(
        source=returned,
        acting_user=acting_user,
        author=author,
        reason=f"Returned by {acting_user.display_name}; new draft made for {author.display_name}",
    )
    return returned


@transaction.atomic
def plan_decline(*, version: PlanVersion, reason: str, acting_user) -> PlanVersion:
    """Not approved. The person is told (people.notices); a plan returned is not a decision about their money,
    and only the coordinator hears of it."""
    declined = _decide_against(
        version,
        action=Action.DECLINE,
        to_status=Status.DECLINED,
        reason=reason,
        acting_user=acting_user,
        letter_kind=LetterKind.DECLINE,
        template="careplans/letter_decline.html",
        subject=f"Plan declined: {version.plan.person.full_name}",
        body=f"{acting_user.display_name} declined version {version.number} of the support plan.",
    )
    _tell_person(declined, NoticeKind.PLAN_DECLINED)
    return declined


@transaction.atomic
def plan_activate(
    *, version: PlanVersion, acting_user=None, on: datetime.date | None = None, tell_person: bool = True
) -> PlanVersion:
    """An approved plan becomes active on its start date (the scheduled job passes acting_user=None). The person
    is told (people.notices), unless `tell_person` is False: approved on or after its start date, the notice of
    the approval says it already."""
    on = on or timezone.localdate()
    version = _locked(version)
    _check(Action.ACTIVATE, version, acting_user, on=on)
    # The version it replaces stays on record, marked as replaced, before this one becomes active
    # (the database allows one active version per plan).
    for older in version.plan.versions.filter(status__in=Status.CURRENT, number__lt=version.number):
        _set_aside(
            older,
            to_status=Status.SUPERSEDED,
            reason=f"Replaced by version {version.number}",
            summary=f"Version {older.number} replaced by version {version.number}",
            acting_user=acting_user,
        )
    version, _ = _move(
        version,
        Action.ACTIVATE,
        to_status=Status.ACTIVE,
        acting_user=acting_user,
        summary=f"Version {version.number} of the plan became active",
        reason=f"Started on {long_date(version.start_date)}",
    )
    # Reviews still to do now belong to the version in force (and remind its coordinator).
    moved = (
        version.plan.reviews.filter(status=ReviewStatus.DUE).exclude(plan_version=version).update(plan_version=version)
    )
    if moved:
        audit.record(
            actor=acting_user,
            action=AuditAction.MOVE_REVIEWS,
            obj=version,
            person_id=version.plan.person_id,
            summary=f"{moved} review{'s' if moved != 1 else ''} moved to version {version.number}",
        )
    for activated in ON_ACTIVATE:
        activated(version, acting_user)
    if tell_person:
        _tell_person(version, NoticeKind.PLAN_STARTING)
    return version


def _end_problems(version: PlanVersion, *, reason: str, ended_on: datetime.date, unspent_to_repay) -> dict:
    """What is wrong with an ending as asked for, by form field: the same for ending now and asking."""
    today = timezone.localdate()
    started = version.start_date <= today
    errors = {}
    if not reason:
        errors["reason"] = "Select the reason for ending the personal health budget"
    if started and ended_on < version.start_date:
        errors["ended_on"] = f"End date must be on or after the plan's start date, {long_date(version.start_date)}"
    elif not started and ended_on < today:
        errors["ended_on"] = "The plan has not started yet, so the end date must be today or later"
    if unspent_to_repay is not None and unspent_to_repay < 0:
        errors["unspent_to_repay"] = "Unspent money to repay must be £0 or more"
    return errors


def _reason_words(reason: str) -> str:
    return dict(EndReason.choices).get(reason, reason)


def _reason_in_a_sentence(reason: str) -> str:
    words = _reason_words(reason)
    return words[:1].lower() + words[1:]


@transaction.atomic
def plan_end(
    *,
    version: PlanVersion,
    reason: str,
    ended_on: datetime.date,
    note: str,
    unspent_to_repay: Decimal | None,
    acting_user,
) -> PlanVersion:
    """Stops the budget: payments stop from the end date, with a letter giving the reasons.

    Until the end date the version is "ending" and still in force (the money is still in use); the
    hourly job (finish_ended_plans) marks it ended on the end date. An end date today or earlier ends it
    at once. Reviews still to do are cancelled, and any other version being written, waiting for a
    decision or approved but not yet started is withdrawn.

    A reason that needs a second person (lifecycle.needs_second_person) is refused here: ask for the
    ending (ending_ask) and a PHB team member confirms it (ending_confirm).
    """
    version = _locked(version)
    _check(Action.END, version, acting_user)
    errors = _end_problems(version, reason=reason, ended_on=ended_on, unspent_to_repay=unspent_to_repay)
    if errors:
        raise ValidationError(errors)
    if lifecycle.needs_second_person(reason):
        raise ServiceError(
            f"Ending a budget because {_reason_in_a_sentence(reason)} needs a "
            "PHB team member to confirm it. Ask for the ending, and it takes effect once they confirm it."
        )
    return _end(
        version,
        reason=reason,
        ended_on=ended_on,
        note=note,
        unspent_to_repay=unspent_to_repay,
        acting_user=acting_user,
    )


def _end(version, *, reason, ended_on, note, unspent_to_repay, acting_user, asked=None) -> PlanVersion:
    """Ends the locked, checked version (plan_end; ending_confirm with the ending asked for)."""
    today = timezone.localdate()
    started = version.start_date <= today
    # Ended at once if the end date has come, or if the plan would never start; ending until then otherwise.
    over = ended_on <= today or (not started and ended_on <= version.start_date)
    to_status = Status.ENDED if over else Status.ENDING
    note = (note or "").strip()
    words = f"{_reason_words(reason)}. {note}".strip()
    summary = f"Ended the personal health budget from {long_date(ended_on)}"
    noted = {"reason": reason}
    if asked is not None:
        who = f"Asked for by {asked.requested_by.display_name} and confirmed by {acting_user.display_name}"
        words, summary = f"{words} {who}.", f"{summary}: {who[0].lower()}{who[1:]}"
        noted["asked_by"] = asked.requested_by.display_name
    version, event = _move(
        version,
        Action.END,
        to_status=to_status,
        acting_user=acting_user,
        summary=summary,
        reason=words,
        ended_on=ended_on,
        end_reason=reason,
        end_note=note,
        unspent_to_repay=unspent_to_repay,
        noted=noted,
    )
    _overtake_waiting_ending(version, acting_user)
    for ended in ON_END:
        ended(version)
    cancelled = version.plan.reviews.filter(status=ReviewStatus.DUE).update(status=ReviewStatus.CANCELLED)
    # A new version being written, waiting for a decision or waiting for its start can no longer be agreed.
    for pending in version.plan.versions.filter(status__in=Status.PENDING).exclude(pk=version.pk):
        _set_aside(
            pending,
            to_status=Status.WITHDRAWN,
            reason="The personal health budget ended",
            summary=f"Version {pending.number} withdrawn: the budget ended",
            acting_user=acting_user,
        )
    if cancelled:
        audit.record(
            actor=acting_user,
            action=AuditAction.CANCEL_REVIEWS,
            obj=version,
            person_id=version.plan.person_id,
            summary=f"{cancelled} review{'s' if cancelled != 1 else ''} cancelled: the budget ended",
        )
    _keep_letter(
        version,
        LetterKind.ENDING,
        "careplans/letter_ending.html",
        letters.decision_letter_context(version, today=timezone.localdate()),
        acting_user,
    )
    _tell_coordinator(
        version,
        event,
        f"Personal health budget ended: {version.plan.person.full_name}",
        f"{acting_user.display_name} ended {version.plan.person.full_name}'s personal health budget from "
        f"{long_date(ended_on)}: {lower_first(version.get_end_reason_display())}."
        + (f" {asked.requested_by.display_name} asked for this ending." if asked is not None else ""),
    )
    return version


def _overtake_waiting_ending(version: PlanVersion, acting_user) -> None:
    """An ending still waiting for confirmation is not needed once the budget is ended another way."""
    waiting = EndingRequest.objects.filter(plan_id=version.plan_id, status=EndingStatus.WAITING).first()
    if waiting is None:
        return
    EndingRequest.objects.filter(pk=waiting.pk).update(status=EndingStatus.OVERTAKEN, decided_at=timezone.now())
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=waiting,
        person_id=version.plan.person_id,
        summary="The ending waiting for confirmation is not needed: the budget was ended for another reason",
        changes={"status": [EndingStatus.WAITING.value, EndingStatus.OVERTAKEN.value]},
    )


def _version_to_end(plan_id) -> PlanVersion | None:
    return version_to_end(PlanVersion.objects.filter(plan_id=plan_id, status__in=Status.CURRENT))


def _ending_decided(ending: EndingRequest) -> ServiceError:
    if ending.status == EndingStatus.OVERTAKEN:
        return ServiceError("This ending is no longer needed: the budget was ended for another reason.")
    when = date_and_time(ending.decided_at)
    return ServiceError(f"{ending.decided_by.display_name} already {ending.status} this ending on {when}.")


def _lock_ending(ending: EndingRequest) -> EndingRequest:
    """Locks the plan (as every move of its versions does) and reads the ending afresh."""
    SupportPlan.objects.select_for_update().filter(pk=ending.plan_id).exists()
    ending = EndingRequest.objects.select_related("requested_by", "decided_by", "plan__person").get(pk=ending.pk)
    if not ending.is_waiting:
        raise _ending_decided(ending)
    return ending


@transaction.atomic
def ending_ask(
    *,
    version: PlanVersion,
    reason: str,
    ended_on: datetime.date,
    note: str,
    unspent_to_repay: Decimal | None,
    acting_user,
) -> EndingRequest:
    """Asks for an ending that needs a second person (lifecycle.needs_second_person). Nothing changes for
    the person until a PHB team member who did not ask confirms it (ending_confirm)."""
    version = _locked(version)
    _check(Action.END, version, acting_user)
    errors = _end_problems(version, reason=reason, ended_on=ended_on, unspent_to_repay=unspent_to_repay)
    if errors:
        raise ValidationError(errors)
    if not lifecycle.needs_second_person(reason):
        raise ServiceError("This reason does not need a second person. End the budget instead.")
    waiting = lifecycle.waiting_ending(version.plan_id)
    if waiting is not None:
        raise ServiceError(
            f"{waiting.requested_by.display_name} already asked on "
            f"{long_date(waiting.requested_at)} for this budget to be ended. "
            "A PHB team member must confirm or refuse that first."
        )
    ending = EndingRequest(
        plan=version.plan,
        plan_version=version,
        reason=reason,
        ended_on=ended_on,
        note=(note or "").strip(),
        unspent_to_repay=unspent_to_repay,
        requested_by=acting_user,
    )
    ending.full_clean()
    ending.save()
    record_event(
        version,
        from_status=version.status,
        to_status=version.status,
        acting_user=acting_user,
        kind=EventKind.ENDING_ASKED,
        reason=" ".join(
            part
            for part in (
                f"To end the personal health budget from {long_date(ended_on)}: {_reason_in_a_sentence(reason)}.",
                ending.note,
                "A PHB team member must confirm it.",
            )
            if part
        ),
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.REQUEST_END,
        obj=ending,
        person_id=version.plan.person_id,
        summary=(
            f"Asked for the personal health budget to be ended from {long_date(ended_on)}, "
            "for a PHB team member to confirm"
        ),
        changes={"reason": [None, reason], "ended_on": [None, str(ended_on)]},
    )
    return ending


@transaction.atomic
def ending_confirm(*, ending: EndingRequest, acting_user) -> PlanVersion:
    """A PHB team member who did not ask confirms an ending: the budget is ended as asked for."""
    ending = _lock_ending(ending)
    version = _version_to_end(ending.plan_id)
    if version is None:  # safety net: ending the budget another way marks the ending not needed
        raise ServiceError("This plan has no version that can be ended.")
    version = _locked(version)
    lifecycle.check(Action.DECIDE_END, version, acting_user)
    errors = _end_problems(
        version, reason=ending.reason, ended_on=ending.ended_on, unspent_to_repay=ending.unspent_to_repay
    )
    if errors:
        raise ServiceError(
            "This ending cannot be confirmed as it was asked for: "
            + " ".join(f"{message}." for message in errors.values())
            + " Refuse it, and the coordinator can ask again."
        )
    EndingRequest.objects.filter(pk=ending.pk, status=EndingStatus.WAITING).update(
        status=EndingStatus.CONFIRMED, decided_by=acting_user, decided_at=timezone.now()
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.CONFIRM_END,
        obj=ending,
        person_id=version.plan.person_id,
        summary=f"Confirmed the ending asked for by {ending.requested_by.display_name}",
        changes={"status": [EndingStatus.WAITING.value, EndingStatus.CONFIRMED.value]},
    )
    return _end(
        version,
        reason=ending.reason,
        ended_on=ending.ended_on,
        note=ending.note,
        unspent_to_repay=ending.unspent_to_repay,
        acting_user=acting_user,
        asked=ending,
    )


@transaction.atomic
def ending_refuse(*, ending: EndingRequest, reason: str, acting_user) -> EndingRequest:
    """A PHB team member who did not ask refuses an ending: the plan goes on unchanged, and whoever asked is
    told why."""
    ending = _lock_ending(ending)
    version = _version_to_end(ending.plan_id) or ending.plan_version
    lifecycle.check(Action.DECIDE_END, version, acting_user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter why you are refusing the ending"})
    EndingRequest.objects.filter(pk=ending.pk, status=EndingStatus.WAITING).update(
        status=EndingStatus.REFUSED, decided_by=acting_user, decided_at=timezone.now(), refusal_reason=reason
    )
    asker = ending.requested_by
    event = record_event(
        version,
        from_status=version.status,
        to_status=version.status,
        acting_user=acting_user,
        kind=EventKind.ENDING_REFUSED,
        reason=f"{asker.display_name} asked for it. Reason: {reason}",
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.REFUSE_END,
        obj=ending,
        person_id=version.plan.person_id,
        summary=f"Refused the ending asked for by {asker.display_name}",
        changes={"status": [EndingStatus.WAITING.value, EndingStatus.REFUSED.value], "refusal_reason": [None, reason]},
    )
    person = ending.plan.person.full_name
    _tell(
        asker,
        event,
        f"Ending refused: {person}",
        f"{acting_user.display_name} refused the ending you asked for of {person}'s personal health budget. "
        f"The plan goes on unchanged. Reason: {reason}",
    )
    return EndingRequest.objects.get(pk=ending.pk)


def decision_email_send(email_id: int) -> bool:
    """Sends one decision e-mail through the outbox, once (see careplans.emails)."""
    return emails.decision_email_send(email_id)


@transaction.atomic
def plan_finish(*, version: PlanVersion, on: datetime.date | None = None) -> PlanVersion:
    """An ending budget has ended: its end date has come (the hourly job, acting as the system)."""
    on = on or timezone.localdate()
    version = _locked(version)
    _check(Action.FINISH, version, None)
    if version.ended_on > on:
        raise ServiceError(f"This budget ends on {long_date(version.ended_on)}, so it has not ended yet.")
    version, _ = _move(
        version,
        Action.FINISH,
        to_status=Status.ENDED,
        acting_user=None,
        summary=f"The personal health budget ended on {long_date(version.ended_on)}",
        reason=f"Ended on {long_date(version.ended_on)}",
    )
    for ended in ON_END:
        ended(version)
    return version


def finish_ended_plans(*, on: datetime.date | None = None) -> int:
    """Marks ended every ending budget whose end date has come. Safe to run as often as you like."""
    on = on or timezone.localdate()
    count = 0
    for version in PlanVersion.objects.filter(status=Status.ENDING, ended_on__lte=on):
        try:
            plan_finish(version=version, on=on)
        except ServiceError:
            continue  # moved on meanwhile
        except DatabaseError:
            # One plan the database refuses must not stop the others: logged for the team to look at.
            logger.exception("Could not mark version %s ended", version.pk)
            continue
        count += 1
    return count


def activate_due_plans(*, on: datetime.date | None = None) -> int:
    """Makes every approved plan whose start date has come active. Safe to run as often as you like."""
    on = on or timezone.localdate()
    count = 0
    for version in PlanVersion.objects.filter(status=Status.APPROVED, start_date__lte=on).order_by("number"):
        try:
            plan_activate(version=version, acting_user=None, on=on)
        except ServiceError:
            continue  # someone else moved it on meanwhile
        except DatabaseError:
            # One plan the database refuses must not stop the others: logged for the team to look at.
            logger.exception("Could not make version %s active", version.pk)
            continue
        count += 1
    return count
