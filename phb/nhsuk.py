"""Python side of the ``nhsuk`` crispy-forms template pack (templates/nhsuk/).

Layout objects that need NHS.UK options, and a day/month/year date field that
follows the NHS.UK design system's date input and its error messages.

    from crispy_forms.helper import FormHelper
    from crispy_forms.layout import Layout
    from phb.nhsuk import Field, NHSDateField, Submit
"""

import datetime

from crispy_forms import layout
from crispy_forms.utils import TEMPLATE_PACK, render_field
from django import forms
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.forms.utils import pretty_name
from django.utils import timezone
from django.utils.safestring import SafeString

from phb.words import lower_first

__all__ = ["Button", "Field", "Fieldset", "NHSDateField", "NHSDateWidget", "Submit"]

LABEL_SIZES = ("s", "m", "l", "xl")


def _check_size(size):
    if size is not None and size not in LABEL_SIZES:
        raise ValueError(f"size must be one of {LABEL_SIZES}, not {size!r}")
    return size


class Submit(layout.BaseInput):
    """``<button class="nhsuk-button" data-module="nhsuk-button" type="submit">``.

    ``Submit("save", "Save and continue")``; ``secondary=True`` adds ``nhsuk-button--secondary``.
    """

    input_type = "submit"
    field_classes = "nhsuk-button"

    def __init__(self, name, value, *, secondary=False, css_class=None, **kwargs):
        classes = " ".join(c for c in ("nhsuk-button--secondary" if secondary else "", css_class or "") if c)
        super().__init__(name, value, css_class=classes or None, **kwargs)


class Button(Submit):
    """The same NHS.UK button with ``type="button"`` (for scripts; it does not submit the form)."""

    input_type = "button"


class Field(layout.Field):
    """crispy ``Field`` with NHS.UK presentation options.

    size: label or legend size, one of "s", "m", "l", "xl".
    page_heading: wrap the label or legend in the page's ``<h1>`` (size defaults to "l").
    inline / small: ``nhsuk-radios--inline`` / ``--small`` (or the checkboxes equivalents).
    conditional: reveal other fields under a radio or checkbox choice::

        Field("funding", conditional={"chc": ["hospital_inpatient"], "cc": ["hospital_inpatient_cc"]})

      Keys are choice values (compared as strings); values list field names or crispy layout
      objects. They render in ``<div class="nhsuk-radios__conditional" id="conditional-<input id>">``
      (``nhsuk-checkboxes__...`` for checkboxes) straight after that choice, whose input gets
      ``data-aria-controls``. Blocks of unselected choices get ``--hidden``, which NHS.UK CSS
      applies only under ``body.nhsuk-frontend-supported``: without JavaScript every block shows.
      A revealed field must not appear anywhere else in the layout (ImproperlyConfigured).
      Revealed fields are submitted whatever is chosen, so make them ``required=False`` and
      check or discard them in the form's ``clean()`` according to the choice.
    Other keyword arguments become widget attributes, as with crispy's ``Field``.
    """

    def __init__(self, *fields, size=None, page_heading=False, inline=False, small=False, conditional=None, **kwargs):
        super().__init__(*fields, **kwargs)
        self.conditional = [(str(value), list(children)) for value, children in (conditional or {}).items()]
        if self.conditional and len(self.fields) != 1:
            raise ValueError("conditional applies to one field: Field(name, conditional={...})")
        self.nhsuk_context = {
            "label_size": _check_size(size) or ("l" if page_heading else None),
            "label_is_page_heading": page_heading,
            "choices_inline": inline,
            "choices_small": small,
        }

    def render(self, form, context, template_pack=TEMPLATE_PACK, extra_context=None, **kwargs):
        extra_context = {**(extra_context or {}), **self.nhsuk_context}
        if self.conditional:
            self._check_conditional(form)
            extra_context["conditional_blocks"] = [
                (value, _render_all(children, form, context, template_pack)) for value, children in self.conditional
            ]
        return super().render(form, context, template_pack=template_pack, extra_context=extra_context, **kwargs)

    def _check_conditional(self, form):
        name = self.fields[0]
        widget = form.fields[name].widget if name in form.fields else None
        if not isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is a RadioSelect
            raise ImproperlyConfigured(f"conditional needs radios or checkboxes; {name!r} is {type(widget).__name__}")
        unknown = {value for value, _ in self.conditional} - set(_choice_values(widget.choices))
        if unknown:
            raise ImproperlyConfigured(f"conditional on {name!r}: {sorted(unknown)} are not among its choices")
        revealed = [n for _, children in self.conditional for child in children for n in _field_names(child)]
        layout_names = [p.name for p in form.helper.layout.get_field_names()] if _has_layout(form) else []
        elsewhere = {name, *getattr(form, "rendered_fields", ()), *layout_names}
        twice = sorted({n for n in revealed if n in elsewhere or revealed.count(n) > 1})
        if twice:
            raise ImproperlyConfigured(
                f"{twice} revealed under {name!r} must not also appear elsewhere in the layout or under another choice"
            )


def _render_all(children, form, context, template_pack):
    return SafeString("".join(render_field(child, form, context, template_pack=template_pack) for child in children))


def _choice_values(choices):
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an option group
            yield from _choice_values(label)
        else:
            yield str(value)


def _field_names(child):
    if isinstance(child, str):
        return [child]
    return [p.name for p in child.get_field_names()] if hasattr(child, "get_field_names") else []


def _has_layout(form):
    return getattr(getattr(form, "helper", None), "layout", None) is not None


class Fieldset(layout.Fieldset):
    """crispy ``Fieldset`` with an NHS.UK legend: ``size`` and ``page_heading`` as for ``Field``."""

    def __init__(self, legend, *fields, size=None, page_heading=False, **kwargs):
        super().__init__(legend, *fields, **kwargs)
        self.legend_size = _check_size(size) or ("l" if page_heading else None)
        self.page_heading = page_heading


class NHSDateWidget(forms.MultiWidget):
    """Day, month and year boxes. Inputs are named ``<name>_day``, ``<name>_month``, ``<name>_year``
    and get the ids ``id_<name>_0``, ``_1``, ``_2``. The pack renders it with ``nhsuk_template``."""

    nhsuk_template = "nhsuk/widgets/date_input.html"
    part_labels = ("Day", "Month", "Year")

    def __init__(self, attrs=None):
        def box(width):
            css = f"nhsuk-input nhsuk-date-input__input nhsuk-input--width-{width}"
            return forms.TextInput(attrs={"class": css, "inputmode": "numeric"})

        super().__init__({"day": box(2), "month": box(2), "year": box(4)}, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for part, label in zip(context["widget"]["subwidgets"], self.part_labels, strict=True):
            part["label"] = label
        return context


def _today():
    if settings.USE_TZ:
        return timezone.localdate()
    return datetime.date.today()


class NHSDateField(forms.MultiValueField):
    """A date typed into three boxes; cleans to ``datetime.date`` (or ``None`` when optional and empty).

    past_only: the date must be today or earlier. future_only: today or later.
    error_label: how messages name the field ("Date of birth"); defaults to the label, then the field name.
    Messages follow the NHS.UK date input pattern ("Enter date of birth",
    "Date of birth must include a month and year", "Date of birth must be a real date", ...).
    """

    widget = NHSDateWidget
    default_error_messages = {
        "required": "Enter {label}",
        "incomplete": "{Label} must include a {parts}",
        "invalid": "{Label} must be a real date",
        "invalid_year": "Year must include 4 numbers",
        "year_range": "{Label} must be between 1900 and 2100",
        "past_only": "{Label} must be today or in the past",
        "future_only": "{Label} must be today or in the future",
    }
    part_names = ("day", "month", "year")

    def __init__(self, *, past_only=False, future_only=False, error_label=None, **kwargs):
        if past_only and future_only:
            raise ValueError("past_only and future_only cannot both be set")
        self.past_only = past_only
        self.future_only = future_only
        self.error_label = error_label
        self.field_name = None
        kwargs.pop("require_all_fields", None)
        parts = tuple(forms.CharField(required=False) for _ in self.part_names)
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def get_bound_field(self, form, field_name):
        self.field_name = field_name  # fields are copied per form, so this names the label fallback
        return super().get_bound_field(form, field_name)

    def _error(self, code, **params):
        label = str(self.error_label or self.label or pretty_name(self.field_name or "date"))
        capitalised = label[:1].upper() + label[1:]
        message = self.error_messages[code].format(label=lower_first(label), Label=capitalised, **params)
        return ValidationError(message, code=code)

    def clean(self, value):
        if self.disabled and not isinstance(value, (list, tuple)):
            value = self.widget.decompress(value)
        values = list(value) if isinstance(value, (list, tuple)) else []
        day, month, year = (("" if v is None else str(v).strip()) for v in (values + [None] * 3)[:3])
        parts = (day, month, year)

        if not any(parts):
            if self.required:
                raise self._error("required")
            return None
        missing = [name for name, part in zip(self.part_names, parts, strict=True) if not part]
        if missing:
            raise self._error("incomplete", parts=" and ".join(missing))
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise self._error("invalid")
        if len(year) != 4:
            raise self._error("invalid_year")
        if not 1900 <= int(year) <= 2100:
            # Dates far in the future overflow date arithmetic (review due dates) and are never meant.
            raise self._error("year_range")
        try:
            result = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            # OverflowError: a day or month too big for the C date type, e.g. 99999999999999999999.
            raise self._error("invalid") from None
        if self.past_only and result > _today():
            raise self._error("past_only")
        if self.future_only and result < _today():
            raise self._error("future_only")
        self.validate(result)
        self.run_validators(result)
        return result
