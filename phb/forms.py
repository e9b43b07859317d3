"""Form behaviour shared by every form: error messages in the NHS voice."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from phb.money import parse_pounds


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "GP" and text[:3] != "NHS" else text


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
            field.error_messages.setdefault("required", f"{verb} {_lower_first(label)}")
            if field.error_messages["required"] == forms.Field.default_error_messages["required"]:
                field.error_messages["required"] = f"{verb} {_lower_first(label)}"
            max_length = getattr(field, "max_length", None)
            if max_length:
                field.error_messages["max_length"] = f"{label} must be {max_length} characters or fewer"
            if isinstance(field, forms.EmailField):
                field.error_messages["invalid"] = "Enter an email address in the correct format, like name@example.com"
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


class PoundsField(forms.Field):
    """An amount in pounds as people type it ("£1,250.50"), as a Decimal."""

    widget = forms.TextInput

    def __init__(self, *, allow_negative: bool = False, max_value=Decimal("10000000.00"), **kwargs):
        self.allow_negative = allow_negative
        self.max_value = max_value
        kwargs.setdefault("widget", forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = (value or "").strip() if isinstance(value, str) else value
        if text in self.empty_values:
            return None
        if isinstance(text, str) and len(text) > 20:
            raise forms.ValidationError(f"{self.label} must be 20 characters or fewer")
        try:
            amount = parse_pounds(str(text))
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if amount < 0 and not self.allow_negative:
            raise forms.ValidationError(f"{self.label} must be 0 or more")
        if abs(amount) > self.max_value:
            raise forms.ValidationError(f"{self.label} must be £{self.max_value:,.0f} or less")
        return amount


class StaleGuardField(forms.IntegerField):
    """A hidden field carrying the version of a record the form was opened at (optimistic locking)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"invalid": "This page is out of date. Reload it, then make your changes again."}
        )
        super().__init__(**kwargs)
