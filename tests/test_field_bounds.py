"""Every field of every form has a bound that the form, the model and the database agree on.

The test imports every app's forms.py, builds every form (with real objects where a form needs them, so
fields added in __init__ are walked too), and checks each field:
- text: a max_length; on a ModelForm the model field's; on a plain form the field it is saved to
  (STORED_IN), or a reason it is not saved as typed (NOT_STORED); the database column is varchar(n)
  with the same n. Short single-line inputs (256 characters or fewer) from forms not listed are
  bounded by their max_length alone.
- numbers and money: one of phb.forms' number fields (the digits 0 to 9 only) with a minimum and a
  maximum; the maximum is the model's (validator and CheckConstraint) or the column's capacity.
Then the largest figure worked out from the largest inputs must fit the column that holds it.
"""

import importlib
import inspect
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models

from budgets import calculate
from careplans import rules
from phb.forms import DecimalNumberField, PoundsField, WholeNumberField
from phb.money import MAX_AMOUNT
from phb.nhsuk import NHSDateField

pytestmark = pytest.mark.django_db

# Plain-form text fields and where they are saved: the first must have the same max_length; any
# others are saved with words around them, so they must hold at least as much.
STORED_IN = {
    "budgets.forms.AssessmentForm.words_*": ["budgets.AssessmentNeed.own_words"],
    "budgets.forms.BudgetChoiceForm.adjustment_reason": ["budgets.BudgetVersion.adjustment_reason"],
    "budgets.forms.SignOffForm.note": ["budgets.BudgetVersion.sign_off_note"],
    "budgets.forms.TariffForm.notes": ["budgets.Tariff.notes"],
    "careplans.forms.DecisionForm.conditions": ["careplans.PlanVersion.conditions", "careplans.PlanEvent.reason"],
    "careplans.forms.DecisionForm.return_reason": [
        "careplans.PlanVersion.decision_reason",
        "careplans.PlanEvent.reason",
    ],
    "careplans.forms.DecisionForm.decline_reason": [
        "careplans.PlanVersion.decision_reason",
        "careplans.PlanEvent.reason",
    ],
    "careplans.forms.EndPlanForm.note": [
        "careplans.PlanVersion.end_note",
        "careplans.PlanEvent.reason",
        "careplans.EndingRequest.note",
    ],
    "careplans.forms.EndingRefuseForm.reason": ["careplans.EndingRequest.refusal_reason", "careplans.PlanEvent.reason"],
    "careplans.forms.ReviewForm.money_notes": ["careplans.Review.money_notes"],
    "careplans.forms.ReviewForm.use_notes": ["careplans.Review.use_notes"],
    "careplans.forms.ReviewForm.safety_notes": ["careplans.Review.safety_notes"],
    "careplans.forms.ReviewForm.words_*": ["careplans.ReviewOutcome.own_words"],
    "careplans.forms.ReviewRequestForm.note": ["careplans.Review.reason_note"],
    "eligibility.forms.ScreeningForm.package_description": ["eligibility.Screening.package_description"],
    "eligibility.forms.DecisionForm.reason": ["eligibility.Screening.decision_reason"],
    "portal.forms.MessageForm.body": ["portal.Message.body"],
    "portal.forms.InvitationForm.email": ["portal.Invitation.email"],
    "portal.forms.AcceptInvitationForm.first_name": ["people.User.first_name"],
    "portal.forms.AcceptInvitationForm.last_name": ["people.User.last_name"],
}
# Plain-form text fields not saved as typed, and why their max_length is the bound.
NOT_STORED = {
    "people.forms.PersonForm.nhs_number": "typed with spaces or dashes; saved as its 10 digits",
    "people.forms.CaseloadSearchForm.q": "a search: never saved (the audit records how it searched, not the text)",
    "portal.forms.AcceptInvitationForm.password1": "hashed, never saved as typed",
    "portal.forms.AcceptInvitationForm.password2": "hashed, never saved as typed",
    "eligibility.forms.ScreeningForm.block_contract_services": "split into lines, saved as a list",
    "twofactor.forms.ReauthForm.password": "checked against the password's hash, never saved",
    "people.forms_auth.SignInForm.username": "an e-mail address looked up, never saved from this form",
    "people.forms_auth.SignInForm.password": "checked against the password's hash, never saved",
    "people.forms_auth.AdminSignInForm.username": "the admin's sign-in: an e-mail address looked up, never saved",
    "people.forms_auth.AdminSignInForm.password": "the admin's sign-in: checked against the password's hash",
}
# Plain-form number fields and the model field each is saved to (None: not a column; the bound is named).
NUMBER_STORED_IN = {
    "budgets.forms.TariffForm.price_per_point": "budgets.Tariff.price_per_point",
    "budgets.forms.BudgetChoiceForm.adjustment": "budgets.BudgetVersion.adjustment",
    "careplans.forms.EndPlanForm.unspent_to_repay": "careplans.PlanVersion.unspent_to_repay",
    "budgets.forms.TariffForm.points_*": None,  # Tariff.points (JSON): calculate.MAX_POINTS, checked below
}
SHORT_INPUT = 256
POSTGRES_INTEGER = 2_147_483_647


def local_form_modules():
    """Every forms.py (and forms_*.py) of this project's apps, not of installed packages."""
    root = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        if root not in Path(config.path).resolve().parents or ".venv" in Path(config.path).parts:
            continue
        for path in sorted(Path(config.path).glob("forms*.py")):
            yield importlib.import_module(f"{config.name}.{path.stem}")


def form_classes():
    found = []
    for module in local_form_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__ and cls.base_fields is not None:
                found.append(cls)
    return found


def name_of(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture
def objects(alice, jane):
    """The real objects the forms are built with, so the fields they add in __init__ are walked too."""
    from budgets.models import BudgetVersion
    from budgets.tests.factories import make_tariff
    from careplans.tests.factories import complete_plan
    from people.tests.factories import UserFactory
    from phb.roles import Role

    version = complete_plan(person=jane, coordinator=alice)
    lead = UserFactory(username="walker-lead", role=Role.LEAD)
    return {
        "budgets.forms.AssessmentForm": {},
        "budgets.forms.BudgetChoiceForm": {"has_council_share": True},
        "budgets.forms.TariffForm": {"tariff": make_tariff(lead=lead)},
        "careplans.forms.StartPlanForm": {"budgets": BudgetVersion.objects.filter(pk=version.budget_version_id)},
        "careplans.forms.PlanForm": {"instance": version},
        "careplans.forms.SupportItemForm": {"version": version},
        "careplans.forms.ReviewForm": {"version": version},
        "eligibility.forms.ScreeningForm": {"person": jane},
        "people.forms.PersonForm": {"user": alice},
        "accounts.forms.NewPasswordForm": {"user": alice},
    }


def built_fields(cls, objects) -> dict[str, forms.Field]:
    """The form's fields once built; a form that needs arguments this test does not know gives its declared fields."""
    try:
        return cls(**objects.get(name_of(cls), {})).fields
    except TypeError:
        return dict(cls.base_fields)


def model_field(path: str) -> models.Field:
    app_label, model, field = path.split(".")
    return apps.get_model(app_label, model)._meta.get_field(field)


def lookup(table: dict, key: str):
    if key in table:
        return table[key]
    for pattern, value in table.items():
        if pattern.endswith("*") and key.startswith(pattern[:-1]):
            return value
    raise KeyError(key)


def varchar_length(field: models.Field) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT character_maximum_length FROM information_schema.columns"
            " WHERE table_name = %s AND column_name = %s",
            [field.model._meta.db_table, field.column],
        )
        return cursor.fetchone()[0]


def check_upper_bounds(model) -> dict[str, Decimal]:
    """{field name: the most its CheckConstraints allow} from the model's constraints (field__lte=value)."""
    bounds = {}

    def walk(node):
        for child in node.children:
            if isinstance(child, models.Q):
                walk(child)
            elif child[0].endswith("__lte"):
                bounds[child[0].removesuffix("__lte")] = Decimal(child[1])

    for constraint in model._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            walk(constraint.condition)
    return bounds


def constraint_in_database(model, field_name: str) -> bool:
    names = [
        c.name
        for c in model._meta.constraints
        if isinstance(c, models.CheckConstraint) and f"{field_name}__lte" in str(c.condition)
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE conname = ANY(%s)", [names])
        return bool(names) and len(cursor.fetchall()) == len(names)


def column_capacity(field: models.Field) -> Decimal | None:
    if isinstance(field, models.DecimalField):
        return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(10) ** -field.decimal_places
    if isinstance(field, models.PositiveSmallIntegerField | models.SmallIntegerField):
        return Decimal(32767)
    if isinstance(field, models.IntegerField) and not isinstance(field, models.BigIntegerField):
        return Decimal(POSTGRES_INTEGER)
    return None


def bound(field: forms.Field, kind) -> Decimal | None:
    limits = [v.limit_value for v in field.validators if isinstance(v, kind)]
    return Decimal(limits[0]) if limits else None


def text_problems(cls, name: str, field: forms.CharField) -> list[str]:
    key = f"{name_of(cls)}.{name}"
    if not field.max_length:
        return [f"{key} has no max_length"]
    if issubclass(cls, forms.ModelForm) and name in (cls._meta.fields or []) and name not in cls.declared_fields:
        targets = [f"{cls._meta.model._meta.label}.{name}"]
    else:
        try:
            targets = lookup(STORED_IN, key)
        except KeyError:
            try:
                lookup(NOT_STORED, key)
                return []
            except KeyError:
                if field.max_length <= SHORT_INPUT and cls.__module__.split(".")[0] not in {
                    "budgets",
                    "careplans",
                    "eligibility",
                    "people",
                    "portal",
                }:
                    return []
                return [f"{key} is not in STORED_IN or NOT_STORED: say where it is saved"]
    problems = []
    for n, target in enumerate(targets):
        column = model_field(target)
        if n == 0 and column.max_length != field.max_length:
            problems.append(f"{key}: max_length {field.max_length}, but {target} holds {column.max_length}")
        if n > 0 and column.max_length < field.max_length:
            problems.append(f"{key}: {target} holds only {column.max_length}")
        if varchar_length(column) != column.max_length:
            problems.append(f"{target}: the database column is not varchar({column.max_length})")
    return problems


def number_problems(cls, name: str, field: forms.Field) -> list[str]:
    key = f"{name_of(cls)}.{name}"
    if not isinstance(field, WholeNumberField | DecimalNumberField | PoundsField):
        return [f"{key} is a {type(field).__name__}: use phb.forms' number fields (digits 0 to 9 only)"]
    low, high = bound(field, MinValueValidator), bound(field, MaxValueValidator)
    if low is None or high is None:
        return [f"{key} needs a minimum and a maximum"]
    if issubclass(cls, forms.ModelForm) and name in (cls._meta.fields or []):
        target = f"{cls._meta.model._meta.label}.{name}"
    elif name == "version":
        return [] if high <= POSTGRES_INTEGER else [f"{key}: more than a PostgreSQL integer holds"]
    else:
        try:
            target = lookup(NUMBER_STORED_IN, key)
        except KeyError:
            return [f"{key} is not in NUMBER_STORED_IN: say where it is saved"]
    if target is None:
        return []
    column = model_field(target)
    capacity = column_capacity(column)
    problems = []
    if capacity is not None and high > capacity:
        problems.append(f"{key}: maximum {high} does not fit {target} (up to {capacity})")
    model_high = bound(column, MaxValueValidator)
    database_high = check_upper_bounds(column.model).get(column.name)
    if model_high is None and high != capacity:
        problems.append(f"{key}: maximum {high}, but {target} has no MaxValueValidator")
    if model_high is not None and model_high != high:
        problems.append(f"{key}: maximum {high}, but the model allows {model_high}")
    if model_high is not None and (database_high != high or not constraint_in_database(column.model, column.name)):
        problems.append(f"{key}: no CheckConstraint in the database holds {target} to {high}")
    return problems


def test_it_walks_every_form_field_and_finds_each_bound_agreed(objects):
    classes = form_classes()
    assert len(classes) >= 20, "the walk should find every form of the project"
    problems, walked = [], 0
    for cls in classes:
        for name, field in built_fields(cls, objects).items():
            walked += 1
            if isinstance(field, NHSDateField | forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField):
                continue  # bounded by their own checks: three short boxes, or one of the options shown
            if isinstance(field, forms.CharField):
                problems += text_problems(cls, name, field)
            elif isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField | PoundsField):
                problems += number_problems(cls, name, field)
            elif not isinstance(field, forms.MultiValueField | forms.FileField):
                problems.append(f"{name_of(cls)}.{name}: a {type(field).__name__} this test does not know")
    assert walked > 150
    assert problems == [], "\n".join(problems)


def test_it_finds_a_text_field_without_a_bound():
    class Unbounded(forms.Form):
        words = forms.CharField(widget=forms.Textarea)

    Unbounded.__module__ = "careplans.forms"
    Unbounded.__qualname__ = "Unbounded"
    assert text_problems(Unbounded, "words", Unbounded.base_fields["words"]) == [
        "careplans.forms.Unbounded.words has no max_length"
    ]


def test_it_finds_a_number_field_that_takes_other_digits_or_has_no_maximum():
    class Loose(forms.Form):
        count = forms.IntegerField(min_value=0)

    assert number_problems(Loose, "count", Loose.base_fields["count"]) == [
        f"{name_of(Loose)}.count is a IntegerField: use phb.forms' number fields (digits 0 to 9 only)"
    ]


def test_every_long_text_column_is_bounded_in_the_database():
    """No model of the project keeps typed text in an unbounded column (generated text is listed)."""
    generated = {"careplans.DecisionEmail.body", "phb.AuditEvent.changes"}
    unbounded = []
    for model in apps.get_models():
        if model._meta.app_label not in {"budgets", "careplans", "eligibility", "people", "portal"}:
            continue
        for field in model._meta.concrete_fields:
            label = f"{model._meta.label}.{field.name}"
            if isinstance(field, models.TextField) and label not in generated:
                unbounded.append(label)
    assert unbounded == []


# The largest figures the service works out, from the largest inputs the forms take, and the column each is
# kept in. A figure past its column is what blocked every budget calculation with "no more than 12 digits".
def test_the_largest_figures_fit_their_columns():
    from budgets.models import BudgetVersion, Tariff
    from careplans.models import PlanVersion, SupportItem

    ras_total = len(calculate.Domain) * calculate.MAX_POINTS * calculate.MAX_PRICE_PER_POINT
    largest = {
        "budgets.BudgetVersion.ras_total": ras_total,
        # Each service at most MAX_ANNUAL a year (calculate.service_problems), at most MAX_SERVICES of them.
        "budgets.BudgetVersion.costed_total": calculate.MAX_SERVICES * calculate.MAX_ANNUAL,
        "budgets.BudgetVersion.council_share": calculate.MAX_SERVICES * calculate.MAX_ANNUAL,
        "budgets.BudgetVersion.base_amount": ras_total,
        "budgets.BudgetVersion.annual_amount": calculate.MAX_ANNUAL,  # the service refuses more
        "budgets.BudgetVersion.adjustment": MAX_AMOUNT,
        "budgets.Tariff.price_per_point": calculate.MAX_PRICE_PER_POINT,
        "careplans.SupportItem.unit_cost": MAX_AMOUNT,
        # Each item at most MAX_ITEM_ANNUAL a year (rules.item_problems), at most MAX_ITEMS of them.
        "careplans.PlanVersion.agreed_annual": rules.MAX_ITEMS * rules.MAX_ITEM_ANNUAL,
        "careplans.PlanVersion.dp_amount": MAX_AMOUNT,
    }
    for path, figure in largest.items():
        assert figure <= column_capacity(model_field(path)), path
    # A line of the resource allocation and the RAS total as worked out, to the penny.
    tariff = calculate.TariffInput(
        price_per_point=calculate.MAX_PRICE_PER_POINT,
        points={d: dict.fromkeys(calculate.NeedLevel, calculate.MAX_POINTS) for d in calculate.Domain},
    )
    needs = dict.fromkeys(calculate.Domain, calculate.NeedLevel.VERY_HIGH)
    assert calculate.ras(needs, tariff).total == Decimal("8000000000.00")
    assert column_capacity(BudgetVersion._meta.get_field("ras_total")) == Decimal("9999999999.99")
    assert Tariff and PlanVersion and SupportItem


NOT_OUR_DIGITS = ["١٢", "１２", "٣", "1_000", "1e3", "NaN", "Infinity", "-inf", "12\x00", "½", "²", "0x10", "1 000"]


@pytest.mark.parametrize("typed", NOT_OUR_DIGITS)
def test_number_fields_take_only_the_digits_0_to_9(typed):
    class Numbers(forms.Form):
        whole = WholeNumberField(label="Points", min_value=0, max_value=100_000)
        decimal = DecimalNumberField(label="Quantity", min_value=Decimal("0"), max_value=Decimal("999999.99"))
        money = PoundsField(label="Cost", max_value=MAX_AMOUNT)

    form = Numbers({"whole": typed, "decimal": typed, "money": typed})
    assert not form.is_valid()
    assert form.errors == {
        "whole": ["Enter points as a whole number, like 4"],
        "decimal": ["Enter quantity as a number, like 10 or 2.5"],
        "money": ["Enter an amount in pounds, like 12.50"],
    }


def test_number_fields_still_take_what_people_type():
    class Numbers(forms.Form):
        whole = WholeNumberField(label="Points", min_value=0, max_value=100_000)
        decimal = DecimalNumberField(label="Quantity", min_value=Decimal("0"), max_value=Decimal("999999.99"))

    form = Numbers({"whole": " 1,000 ", "decimal": "2.5"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"whole": 1000, "decimal": Decimal("2.5")}
    form = Numbers({"whole": "100001", "decimal": "-1"})
    assert form.errors == {"whole": ["Points must be 100,000 or fewer"], "decimal": ["Quantity must be 0 or more"]}


def test_an_assessment_records_at_most_max_services(alice, jane):
    from budgets import services
    from budgets.models import CurrentService
    from budgets.tests.factories import add_service, make_assessment, make_eligible
    from phb.errors import ServiceError

    make_eligible(person=jane, coordinator=alice)
    assessment = make_assessment(person=jane, coordinator=alice)
    first = add_service(assessment=assessment, coordinator=alice)
    CurrentService.objects.bulk_create(
        CurrentService(
            assessment=assessment,
            name=f"Service {n}",
            funding="nhs_spot",
            unit_cost=first.unit_cost,
            units=first.units,
            period=first.period,
            created_by=alice,
        )
        for n in range(calculate.MAX_SERVICES - 1)
    )
    with pytest.raises(ServiceError, match="An assessment can record up to 100 services"):
        services.current_service_add(
            assessment=assessment,
            acting_user=alice,
            name="One more",
            provider="",
            service_type="",
            funding="nhs_spot",
            unit_cost=Decimal("10.00"),
            units=Decimal("1"),
            unit_kind="hour",
            period="week",
        )
    assert assessment.services.count() == calculate.MAX_SERVICES


def test_a_plan_has_at_most_max_items(alice, jane):
    from careplans import services
    from careplans.models import SupportItem
    from careplans.tests.factories import complete_plan
    from phb.errors import ServiceError

    version = complete_plan(person=jane, coordinator=alice)
    have = version.items.count()
    SupportItem.objects.bulk_create(
        SupportItem(
            plan_version=version,
            description=f"Item {n}",
            category="activities",
            unit_cost=Decimal("1.00"),
            quantity=Decimal("1"),
            frequency="one_off",
            money_option="notional",
        )
        for n in range(rules.MAX_ITEMS - have)
    )
    version.refresh_from_db()
    with pytest.raises(ServiceError, match="A plan can have up to 100 items"):
        services.item_save(
            version=version,
            expected_revision=version.revision,
            outcomes=[],
            acting_user=alice,
            description="One more",
            provider="",
            category="activities",
            unit_cost=Decimal("1.00"),
            quantity=Decimal("1"),
            frequency="one_off",
            money_option="notional",
            third_party_organisation="",
        )
    assert version.items.count() == rules.MAX_ITEMS
