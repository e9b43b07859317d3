"""Form behaviour shared by every form: error messages in the NHS voice."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import BLANK_CHOICE_DASH

from phb.money import parse_pounds
from phb.words import lower_first

DASHES = BLANK_CHOICE_DASH[0][1]
# What an empty drop-down option says when the form does not say something better ("Choose a care team").
CHOOSE = "Select one"


def _no_dashes(field: forms.Field) -> None:
    """Django's empty choice "---------" never reaches a page: radios leave it out (nothing chosen is the
    empty answer), and a drop-down says "Select one" instead. A model field with choices and no default
    gets the dashes, and so does a foreign key's drop-down."""
    radios = isinstance(field.widget, forms.RadioSelect)
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DASHES:
            field.empty_label = None if radios else CHOOSE
    elif isinstance(field, forms.ChoiceField):
        dashed = [value for value, label in field.choices if value in ("", None) and label == DASHES]
        if dashed:
            field.choices = [
                (value, CHOOSE if label == DASHES else label)
                for value, label in field.choices
                if not (radios and label == DASHES)
            ]


class NHSMessagesMixin:
    """Replaces Django's default field messages with ones that say what to do.

    "This field is required." becomes "Enter first name"; the length message
    names the field and the limit.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            label = str(field.label or "")
            choose = isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)) or isinstance(
                field.widget, (forms.RadioSelect, forms.CheckboxInput)
            )
            verb = "Select" if choose else "Enter"
            field.error_messages.setdefault("required", f"{verb} {lower_first(label)}")
            if field.error_messages["required"] == forms.Field.default_error_messages["required"]:
                field.error_messages["required"] = f"{verb} {lower_first(label)}"
            max_length = getattr(field, "max_length", None)
            if max_length:
                field.error_messages["max_length"] = f"{label} must be {max_length:,} characters or fewer"
            if isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = "Enter an email address in the correct format, like name@example.com"
            _no_dashes(field)
            if isinstance(field, (forms.ChoiceField, forms.ModelChoiceField)):
                # Only reachable by editing the page, so a plain message is enough.
                field.error_messages["invalid_choice"] = "Select one of the options shown"
                field.error_messages["invalid_pk_value"] = "Select one of the options shown"
                field.error_messages["invalid_list"] = "Select one or more of the options shown"


def add_service_error(form: forms.BaseForm, error: Exception) -> None:
    """Shows an error a service raised on the form: on its field when the form has one, else at the top."""
    if not isinstance(error, ValidationError):
        form.add_error(None, str(error))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


# Whole numbers and decimals as people type them: the digits 0 to 9, optional thousands commas and
# an optional minus sign (hyphen or U+2212; the bounds then say what is allowed). int() and Decimal()
# would also take other scripts' digits ("١٢", "１２"), "1_000", "1e5", "NaN" and "Infinity".
_WHOLE = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
_DECIMAL = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.[0-9]*)?")
# Longer than any number a form takes: refused before any parsing, so a huge paste costs nothing.
_NUMBER_CHARACTERS = 20


def _shown(value) -> str:
    """A bound as people read it: 100,000 or 999,999.99 (no trailing .00 on whole numbers)."""
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _ascii_number(field: forms.Field, value, pattern: re.Pattern):
    """The typed text without thousands commas, or a ValidationError when it is not digits as we write them."""
    if not isinstance(value, str):
        return value
    text = value.strip().replace("\u2212", "-")
    if text in field.empty_values:
        return text
    if len(text) > _NUMBER_CHARACTERS or not pattern.fullmatch(text) or not any(c.isdigit() for c in text):
        raise ValidationError(field.error_messages["invalid"], code="invalid")
    return text.replace(",", "")


class WholeNumberField(forms.IntegerField):
    """A whole number typed with the digits 0 to 9 (commas allowed: 1,000), between min_value and max_value.

    Both bounds are required, so every count a form takes fits the column and the sums made from it.
    Messages name the field: "Points must be 100,000 or fewer".
    """

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-5", "inputmode": "numeric"}))
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        label = str(self.label or "The number")
        defaults = {
            "invalid": f"Enter {lower_first(label)} as a whole number, like {min(max(min_value, 4), max_value)}",
            "min_value": f"{label} must be {_shown(min_value)} or more",
            "max_value": f"{label} must be {_shown(max_value)} or fewer",
        }
        given = kwargs.get("error_messages") or {}
        for code, message in defaults.items():
            if code not in given:
                self.error_messages[code] = message

    def to_python(self, value):
        return super().to_python(_ascii_number(self, value, _WHOLE))


class DecimalNumberField(forms.DecimalField):
    """A number with up to `decimal_places` places typed with the digits 0 to 9 (like 2.5 or 1,000),
    between min_value and max_value. Both bounds are required."""

    def __init__(self, *, min_value: Decimal, max_value: Decimal, decimal_places: int = 2, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-5", "inputmode": "decimal"}))
        # No max_digits: max_value is the bound (one message, not two), decimal_places the places.
        super().__init__(min_value=min_value, max_value=max_value, decimal_places=decimal_places, **kwargs)
        label = str(self.label or "The number")
        defaults = {
            "invalid": f"Enter {lower_first(label)} as a number, like 10 or 2.5",
            "min_value": f"{label} must be {_shown(min_value)} or more",
            "max_value": f"{label} must be {_shown(max_value)} or less",
            "max_decimal_places": f"Enter {lower_first(label)} with no more than {decimal_places} decimal places",
        }
        given = kwargs.get("error_messages") or {}
        for code, message in defaults.items():
            if code not in given:
                self.error_messages[code] = message

    def to_python(self, value):
        return super().to_python(_ascii_number(self, value, _DECIMAL))


class PoundsField(forms.Field):
    """An amount in pounds as people type it ("£1,250.50"), as a Decimal, between min_value and max_value.

    max_value is required: each amount's bound is chosen so that every figure worked out from it fits
    its column (see tests/test_field_bounds.py). min_value is 0, or -max_value with allow_negative.
    """

    widget = forms.TextInput

    def __init__(self, *, max_value: Decimal, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        self.max_value = Decimal(max_value)
        self.min_value = -self.max_value if allow_negative else Decimal("0.00")
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "decimal"}))
        super().__init__(**kwargs)
        label = str(self.label or "The amount")
        self.validators += [
            MinValueValidator(
                self.min_value,
                message=f"{label} must be −£{self.max_value:,.0f} or more"
                if allow_negative
                else f"{label} must be 0 or more",
            ),
            MaxValueValidator(self.max_value, message=f"{label} must be £{self.max_value:,.0f} or less"),
        ]

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, str) and len(text) > _NUMBER_CHARACTERS:
            raise forms.ValidationError(f"{self.label} must be {_NUMBER_CHARACTERS} characters or fewer")
        try:
            return parse_pounds(str(text))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


OUT_OF_DATE = "This page is out of date. Reload it, then make your changes again."


class StaleGuardField(WholeNumberField):
    """A hidden field carrying the version of a record the form was opened at (optimistic locking).

    Bounded by the version column (a PostgreSQL integer): an edited page never reaches the database with
    a number it cannot hold.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2_147_483_647)
        kwargs.setdefault(
            "error_messages", {"invalid": OUT_OF_DATE, "min_value": OUT_OF_DATE, "max_value": OUT_OF_DATE}
        )
        super().__init__(**kwargs)
