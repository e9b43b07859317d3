"""Reviews: asking for one sooner than planned, and recording one with the person.

Completing a review schedules the next: no later than PLAN_REVIEW_INTERVAL_MONTHS after it was
completed (sooner if a scheduled review was already due earlier).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from careplans import lifecycle, schedule, services
from careplans.models import (
    PlanVersion,
    Review,
    ReviewDecision,
    ReviewDomainRating,
    ReviewKind,
    ReviewOutcome,
    ReviewStatus,
    SupportPlan,
)
from people.access import may_write, visible
from people.models import User
from phb import audit, freshness
from phb.db import CountUpTo, Tally
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.words import long_date


def in_force(plan: SupportPlan, *, on: datetime.date | None = None) -> PlanVersion | None:
    """The version of the plan in force today (see PlanVersionQuerySet.in_force)."""
    return PlanVersion.objects.in_force_for(plan, on=on or timezone.localdate())


def review_record_view(*, review: Review, acting_user) -> None:
    """A staff view of a review (part of the person's record), written to the audit trail."""
    audit.record(
        actor=acting_user,
        action=AuditAction.VIEW,
        obj=review,
        person_id=review.plan.person_id,
        summary=f"Viewed the {review.get_kind_display().lower()} due by {long_date(review.due_on)}",
    )


def plan_reviews_view(*, plan: SupportPlan, acting_user) -> None:
    """A staff view of a plan's reviews (part of the person's record), written to the audit trail."""
    audit.record(
        actor=acting_user,
        action=AuditAction.VIEW,
        obj=plan,
        person_id=plan.person_id,
        summary="Viewed the plan's reviews",
    )


# "Due soon" on the caseload's counts and the reviews-due page's default: overdue, or due within this.
DUE_SOON_DAYS = 28


def due_soon_until(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=DUE_SOON_DAYS)


def reviews_due_for(
    *, user, until: datetime.date | None = None, today: datetime.date | None = None
) -> QuerySet[Review]:
    """Reviews to be done now for the people a user may see, overdue first; only those due by `until` if given.
    A review is to be done once a version of its plan is in force (record_refusal's rule): one booked when a
    plan was approved waits for the plan to start. Reads the partial index of reviews still due, then the
    user's care teams."""
    in_force = PlanVersion.objects.filter(plan=OuterRef("plan")).in_force(on=today or timezone.localdate())
    reviews = Review.objects.filter(status=ReviewStatus.DUE).filter(visible(user, "plan__person__"), Exists(in_force))
    if until is not None:
        reviews = reviews.filter(due_on__lte=until)
    return reviews.select_related("plan__person__care_team").order_by("due_on", "created_at", "id")


def review_counts(*, user, today: datetime.date) -> dict:
    """Overdue, and due in the next DUE_SOON_DAYS, for the people a user may see, each counted up to
    phb.db.TALLY_UP_TO + 1 (a count past it says "99+"), in one query, kept until anyone changes anything
    (phb.freshness: the day is in the key)."""

    def work_out() -> dict:
        due = reviews_due_for(user=user, until=due_soon_until(today), today=today)
        overdue, soon = CountUpTo(due.filter(due_on__lt=today)), CountUpTo(due.filter(due_on__gte=today))
        return User.objects.filter(pk=user.pk).values(overdue=overdue, soon=soon).get()

    counts = freshness.cached(f"review-counts:{user.pk}:{today}", work_out)
    return {name: Tally(value) for name, value in counts.items()}


@transaction.atomic
def review_request(*, plan: SupportPlan, reason: str, note: str = "", due_on=None, acting_user) -> Review:
    """An unscheduled review, asked for at any time with a reason.

    A plan has at most one such review waiting (a database rule): asking again while one is due returns
    that one, with `asked_before` set, brought forward if the new request wants it sooner. The plan's row
    is locked first, so two requests at once make one review.
    """
    version = in_force(plan)
    if version is None:
        raise ServiceError("Only a plan in force can be reviewed. This plan has not started or has ended.")
    lifecycle.check(lifecycle.Action.REQUEST_REVIEW, version, acting_user)
    if not reason:
        raise ValidationError({"reason": "Select why the review is needed"})
    today = timezone.localdate()
    due_on = due_on or schedule.unscheduled_review_due(today, days=settings.PLAN_UNSCHEDULED_REVIEW_DAYS)
    if due_on < today:
        raise ValidationError({"due_on": "Due date must be today or in the future"})
    SupportPlan.objects.select_for_update().filter(pk=plan.pk).first()
    waiting = Review.objects.filter(plan=plan, kind=ReviewKind.UNSCHEDULED, status=ReviewStatus.DUE).first()
    if waiting is not None:
        return _asked_again(waiting, person_id=plan.person_id, due_on=due_on, acting_user=acting_user)
    review = Review.objects.create(
        plan=plan,
        plan_version=version,
        kind=ReviewKind.UNSCHEDULED,
        due_on=due_on,
        reason=reason,
        reason_note=(note or "").strip(),
        requested_by=acting_user,
    )
    audit.record(
        actor=acting_user,
        action=AuditAction.REQUEST_REVIEW,
        obj=review,
        person_id=plan.person_id,
        summary=f"Asked for an unscheduled review by {long_date(due_on)}: {review.get_reason_display()}",
    )
    return review


def _asked_again(review: Review, *, person_id, due_on: datetime.date, acting_user) -> Review:
    """The review already asked for; sooner if the new request needs it sooner (audited), else unchanged."""
    review.asked_before = True
    if due_on < review.due_on:
        Review.objects.filter(pk=review.pk).update(due_on=due_on)
        audit.record(
            actor=acting_user,
            action=AuditAction.REQUEST_REVIEW,
            obj=review,
            person_id=person_id,
            summary=f"Asked again for the unscheduled review, now due by {long_date(due_on)}",
            changes={"due_on": [audit.json_safe(review.due_on), audit.json_safe(due_on)]},
        )
        review.due_on = due_on
    return review


def _record_check(review: Review, user, *, on: datetime.date | None = None) -> tuple[PlanVersion | None, str | None]:
    """The version a review would be recorded on, and why it may not be (None if it may)."""
    if not may_write(user, review.plan.person):
        return None, "Only a care coordinator in the person's care team can record a review."
    if review.status == ReviewStatus.COMPLETED:
        return None, "This review has already been recorded."
    if review.status != ReviewStatus.DUE:
        return None, "This review was cancelled: reviews still to do are cancelled when a personal health budget ends."
    # A review still due is recorded on the version in force, whichever version it was booked on.
    version = in_force(review.plan, on=on)
    if version is None:
        return None, "Only a plan in force can be reviewed. This plan has not started or has ended."
    return version, None


def record_refusal(review: Review, user, *, on: datetime.date | None = None) -> str | None:
    """Why this user may not record this review now, or None if they may: the one rule for recording a review.

    review_complete refuses on it, and the review's page offers "Record the review" exactly when it is None.
    The user is a care coordinator in the person's care team, the review is still due, and a version of the
    plan is in force (not started yet, or ended, and there is nothing to review)."""
    return _record_check(review, user, on=on)[1]


def version_to_record(review: Review, user) -> tuple[PlanVersion | None, str | None]:
    """The version the user would record this review on today, and why they may not (record_refusal)."""
    return _record_check(review, user)


def _schedule_next(review: Review, completed_on: datetime.date) -> Review:
    latest = schedule.next_review_due(completed_on, interval_months=settings.PLAN_REVIEW_INTERVAL_MONTHS)
    waiting = review.plan.reviews.filter(kind=ReviewKind.SCHEDULED, status=ReviewStatus.DUE).exclude(pk=review.pk)
    scheduled = waiting.first()
    if scheduled is None:
        return Review.objects.create(plan=review.plan, plan_version=review.plan_version, due_on=latest)
    if scheduled.due_on > latest:
        Review.objects.filter(pk=scheduled.pk).update(due_on=latest)
        scheduled.due_on = latest
    return scheduled


@transaction.atomic
def review_complete(
    *,
    review: Review,
    completed_on: datetime.date,
    outcome_progress: dict,
    domain_ratings: dict,
    money_enough: bool,
    money_notes: str,
    used_as_planned: bool,
    use_notes: str,
    safety_notes: str,
    satisfaction: str,
    decision: str,
    acting_user,
) -> tuple[Review, Review, PlanVersion | None]:
    """Records a review. Returns (the review, the next review, a new draft version if the plan is to change)."""
    plan = review.plan
    version, refusal = _record_check(review, acting_user)
    if refusal:
        raise ServiceError(refusal)
    errors = {}
    if completed_on > timezone.localdate():
        errors["completed_on"] = "Date of the review must be today or in the past"
    elif completed_on < version.start_date:
        errors["completed_on"] = "Date of the review must be on or after the plan's start date"
    if decision not in ReviewDecision.values:
        errors["decision"] = "Select what happens next with the plan"
    # Progress is keyed by each outcome's key, which stays the same across versions of the plan.
    outcomes = {str(o.key): o for o in version.outcomes.all()}
    if set(outcome_progress) - set(outcomes):
        errors["__all__"] = (
            "The plan has changed since this page was opened. Reload the page and record the review again"
        )
    elif set(outcomes) - set(outcome_progress):
        errors["__all__"] = "Record progress on every outcome"
    if errors:
        raise ValidationError(errors)
    updated = Review.objects.filter(pk=review.pk, status=ReviewStatus.DUE).update(
        status=ReviewStatus.COMPLETED,
        completed_on=completed_on,
        completed_by=acting_user,
        plan_version=version,
        money_enough=money_enough,
        money_notes=money_notes,
        used_as_planned=used_as_planned,
        use_notes=use_notes,
        safety_notes=safety_notes,
        satisfaction=satisfaction,
        decision=decision,
    )
    if not updated:
        raise ServiceError("This review has already been recorded.")
    ReviewOutcome.objects.bulk_create(
        ReviewOutcome(review_id=review.pk, outcome=outcomes[key], progress=progress, own_words=words.strip())
        for key, (progress, words) in outcome_progress.items()
    )
    ReviewDomainRating.objects.bulk_create(
        ReviewDomainRating(review_id=review.pk, domain=domain, change=change)
        for domain, change in domain_ratings.items()
    )
    review.refresh_from_db()
    next_review = _schedule_next(review, completed_on)
    due = long_date(next_review.due_on)
    audit.record(
        actor=acting_user,
        action=AuditAction.RECORD_REVIEW,
        obj=review,
        person_id=plan.person_id,
        summary=f"Recorded the review: {review.get_decision_display()}. Next review due by {due}",
        changes={"status": [ReviewStatus.DUE.value, ReviewStatus.COMPLETED.value], "decision": [None, decision]},
    )
    draft = None
    if decision == ReviewDecision.AMEND:
        # A new version may already be under way: the review points to it rather than starting another.
        draft = plan.versions.open().first() or services.plan_amend(plan=plan, acting_user=acting_user)
    return review, next_review, draft
