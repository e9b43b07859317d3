from crispy_forms.helper import FormHelper
from django import forms

from phb.forms import NHSMessagesMixin
from phb.nhsuk import NHSDateField


class RunForm(NHSMessagesMixin, forms.Form):
    """The day a new payment run pays up to. How far ahead it may reach is the service's rule (RUN_AHEAD_DAYS)."""

    due_by = NHSDateField(
        label="Pay everything due on or before",
        error_label="the date to pay up to",
        help_text="For example, 28 11 2026",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
