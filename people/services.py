"""Writes to people's records. Each service checks, writes and audits in one transaction."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from people import nhs_number
from people.access import persons_writable_by
from people.models import Person
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.roles import Role, has_role
from phb.services import audited_update

# The fields a coordinator may set on a person; anything else is refused.
PERSON_FIELDS = [
    "nhs_number",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "phone",
    "email",
    "gp_practice",
    "representative_role",
    "representative_name",
    "representative_relationship",
    "representative_contact",
    "care_team",
    "lead_coordinator",
    "wants_review_reminders",
    "contact_by",
    "letters_by_post",
]

DUPLICATE_NHS_NUMBER = "A person with this NHS number is already recorded. Check the number, or ask the PHB team."


def _clean_values(values: dict) -> dict:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"Not person fields: {sorted(unknown)}")
    cleaned = dict(values)
    if "nhs_number" in cleaned:
        cleaned["nhs_number"] = nhs_number.normalise(cleaned["nhs_number"])
    if "postcode" in cleaned:
        cleaned["postcode"] = " ".join(cleaned["postcode"].upper().split())
    return cleaned


def _check_team(*, acting_user, team, lead) -> None:
    if team is not None and not acting_user.teams.filter(pk=team.pk).exists():
        raise ValidationError({"care_team": "Choose one of your own care teams."})
    if lead is not None and team is not None and not lead.teams.filter(pk=team.pk).exists():
        raise ValidationError({"lead_coordinator": "Choose a lead coordinator from the person's care team."})


def _save_unique(person: Person) -> None:
    """Saves, turning a lost race on the NHS number into the same message the form gives.

    Two coordinators adding the same person at the same moment both pass the
    form's check; the database's unique constraint decides, and the loser is told.
    """
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise ValidationError({"nhs_number": DUPLICATE_NHS_NUMBER}) from None


@transaction.atomic
def person_create(*, acting_user, **values) -> Person:
    if not has_role(acting_user, Role.COORDINATOR):
        raise ServiceError("Only care coordinators can add people.")
    values = _clean_values(values)
    _check_team(acting_user=acting_user, team=values.get("care_team"), lead=values.get("lead_coordinator"))
    person = Person(**values, created_by=acting_user, updated_by=acting_user)
    # Uniqueness is left to the database (see _save_unique), so a race and a
    # plain duplicate get the same message.
    person.full_clean(validate_unique=False)
    _save_unique(person)
    audit.record(
        actor=acting_user,
        action=AuditAction.CREATE,
        obj=person,
        person_id=person.pk,
        summary=f"Added {person.full_name}",
        changes=audit.diff({}, audit.snapshot(person, PERSON_FIELDS)),
    )
    return person


@transaction.atomic
def person_update(*, person: Person, expected_version: int, acting_user, **values) -> Person:
    """Saves the changes only if nobody else saved since `expected_version` was read."""
    if not has_role(acting_user, Role.COORDINATOR):
        raise ServiceError("Only care coordinators can change a person's details.")
    values = _clean_values(values)

    def check_team(current: Person) -> None:
        _check_team(
            acting_user=acting_user,
            team=values.get("care_team", current.care_team),
            lead=values.get("lead_coordinator", current.lead_coordinator),
        )

    return audited_update(
        queryset=persons_writable_by(acting_user).select_related("care_team"),
        pk=person.pk,
        expected_version=expected_version,
        values=values,
        fields=PERSON_FIELDS,
        acting_user=acting_user,
        person_id=person.pk,
        summary=lambda current, changes: f"Changed {audit.fields_in_words(Person, changes)}",
        not_found="You cannot change this person's details: they are not in your care teams.",
        check=check_team,
        # Uniqueness is left to the database (see _save_unique).
        validate_unique=False,
        save=_save_unique,
        skip_if_unchanged=True,
    )


def person_record_view(*, person: Person, acting_user, page: str = "record") -> None:
    """Every staff view of a person's record is written to the audit trail."""
    audit.record(actor=acting_user, action=AuditAction.VIEW, obj=person, person_id=person.pk, summary=f"Viewed {page}")


@transaction.atomic
def person_set_engagement_support(*, person: Person, level: str, source: str, acting_user) -> None:
    """Records the engagement support found by an assessment on the person, for lists and their page."""
    current = Person.objects.select_for_update().get(pk=person.pk)
    if current.engagement_support == level:
        return
    before = current.engagement_support
    Person.objects.filter(pk=person.pk).update(engagement_support=level)
    person.engagement_support = level
    audit.record(
        actor=acting_user,
        action=AuditAction.UPDATE,
        obj=current,
        person_id=current.pk,
        summary=f"Engagement support set by {source}",
        changes={"engagement_support": [before, level]},
    )
