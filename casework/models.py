"""What the journey stage reads about each person, kept in a row of its own (casework.facts keeps it)."""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class JourneyFacts(models.Model):
    """The facts casework.stages.stage_of reads about one person, none of them depending on the date: the stage
    is worked out from them for a given day (casework.selectors.with_stage). Written only by PostgreSQL
    triggers on the tables the facts come from, in the statement that changes them (casework.facts), so every
    write (a service, a factory, the admin, COPY) keeps them true; nothing in Python writes this table.

    The primary key is the person's id without a foreign key constraint: a trigger removes the row when the
    person goes, and a constraint would make deleting a person (after their records) depend on the order."""

    person = models.OneToOneField(
        "people.Person",
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="journey",
    )
    screened = models.CharField(max_length=20, null=True)  # casework.stages.Screened; NULL: never screened
    route = models.CharField(max_length=20, null=True)  # the latest screening's route; NULL: never screened
    assessed = models.BooleanField(default=False)
    sign_off = models.CharField(max_length=20, null=True)  # the latest budget's sign-off; NULL: no budget
    ending_on = models.DateField(null=True)  # the earliest end date of a version that is ending
    # The earliest date from which a version is in force (careplans.models.in_force_from): in force on a
    # day when this is on or before it.
    in_force_from = models.DateField(null=True)
    approved_starts = ArrayField(models.DateField(), default=list)  # approved versions' start dates, earliest first
    submitted = models.BooleanField(default=False)
    draft = models.BooleanField(default=False)
    returned = models.BooleanField(default=False)  # a draft made by the PHB team returning the version before it
    review_on = models.DateField(null=True)  # the earliest review still due
    ended = models.BooleanField(default=False)  # a version ended on the person's latest budget
    # Since when, for the days at each stage (reports.dashboard): the latest screening's and assessment's dates,
    # the day the latest budget was signed off (or worked out), the latest draft was started and the latest
    # version returned, the first version still submitted was submitted, and each approved version was approved
    # (in approved_starts' order).
    screened_on = models.DateField(null=True)
    assessed_on = models.DateField(null=True)
    budget_since = models.DateField(null=True)
    draft_since = models.DateField(null=True)
    returned_on = models.DateField(null=True)
    submitted_on = models.DateField(null=True)
    approved_decided = ArrayField(models.DateField(), default=list)

    class Meta:
        indexes = [
            # The stages a filter over everyone asks for by their own condition (casework.selectors.at_stage).
            models.Index(fields=["review_on"], name="journey_review_on", condition=models.Q(review_on__isnull=False)),
            models.Index(fields=["ending_on"], name="journey_ending_on", condition=models.Q(ending_on__isnull=False)),
            models.Index(fields=["person"], name="journey_returned", condition=models.Q(returned=True)),
            models.Index(fields=["person"], name="journey_submitted", condition=models.Q(submitted=True)),
            models.Index(fields=["person"], name="journey_draft", condition=models.Q(draft=True)),
            models.Index(fields=["screened", "sign_off"], name="journey_before_a_plan"),
        ]

    def __str__(self):
        return f"Journey facts for {self.person_id}"
