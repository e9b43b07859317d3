"""The forms to hold and resume payments and to record a provider's invoice. Validation of what was typed only:
the rules (how far back, overlapping holds, notional items) are the services' (payments.holds, .invoices)."""

from crispy_forms.helper import FormHelper
from django import forms

from payments.holds import BACKDATE_DAYS
from phb.forms import NHSMessagesMixin, PoundsField
from phb.money import MAX_AMOUNT
from phb.nhsuk import NHSDateField


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    return helper


class HoldForm(NHSMessagesMixin, forms.Form):
    starts_on = NHSDateField(
        label="Hold payments from",
        error_label="the date to hold payments from",
        help_text=f"For example, a stay in hospital's first day. It can be up to {BACKDATE_DAYS} days ago.",
    )
    ends_on = NHSDateField(
        label="Resume payments from (optional)",
        error_label="the date to resume payments from",
        required=False,
        help_text="Leave this blank if you do not know yet. You can resume payments later.",
    )
    reason = forms.CharField(
        label="Why are payments being held?",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, in hospital from 3 November. This is kept on the person's record.",
        error_messages={"required": "Enter why payments are being held"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class ResumeForm(NHSMessagesMixin, forms.Form):
    resumes_on = NHSDateField(
        label="Resume payments from",
        error_label="the date to resume payments from",
        help_text="Payments due from this date are paid as usual.",
    )
    pay_held_days = forms.BooleanField(
        label="Also pay what was held before this date",
        required=False,
        help_text="Only if the money was needed after all, for example payments were held while a bank account "
        "changed. It is paid on the date payments resume.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class InvoiceForm(NHSMessagesMixin, forms.Form):
    item_key = forms.ChoiceField(
        label="Which support is the invoice for?",
        widget=forms.RadioSelect,
        error_messages={"required": "Select the support the invoice is for"},
    )
    provider = forms.CharField(label="Provider", max_length=200)
    reference = forms.CharField(label="Invoice number", max_length=100, required=False)
    period_start = NHSDateField(label="Invoice period from", error_label="the start of the invoice period")
    period_end = NHSDateField(label="Invoice period to", error_label="the end of the invoice period")
    amount = PoundsField(label="Amount", max_value=MAX_AMOUNT, help_text="In pounds, for example 120.50")

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_key"].choices = [
            (str(item.key), f"{item.description} ({item.provider})" if item.provider else item.description)
            for item in items
        ]
        self.fields["provider"].error_messages["required"] = "Enter the provider's name"
        self.fields["amount"].error_messages["required"] = "Enter the amount of the invoice"
        self.helper = _helper()
