"""The forms of the repayment and stopping pages: validation only. The rules (the stop date after the respond-by
date, the period the money is from, enough payments to take it off) are the services' (payments.reclaims); their
errors are shown on these forms by phb.forms.add_service_error."""

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from payments.models import AfterStopping, Recovery
from payments.reclaims import MAX_INSTALMENTS
from phb.forms import NHSMessagesMixin, PoundsField, WholeNumberField
from phb.money import MAX_AMOUNT
from phb.nhsuk import Field, NHSDateField
from phb.words import long_date

REASONS_LENGTH = 4000  # a letter's worth of reasons


def _helper(*fields) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if fields:
        helper.layout = Layout(*fields)
    return helper


def _example(day: datetime.date) -> str:
    """A date as it is typed into the NHS.UK date input's three boxes, for a hint."""
    return f"{day.day} {day.month} {day.year}"


def _reasons(label: str, help_text: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=REASONS_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=help_text,
        error_messages={"required": required},
    )


class ProposeReclaimForm(NHSMessagesMixin, forms.Form):
    amount = PoundsField(label="Amount to pay back", max_value=MAX_AMOUNT, help_text="In pounds, for example 250.00")
    from_period = forms.TypedChoiceField(
        label="Which payment period is the money from?",
        coerce=datetime.date.fromisoformat,
        help_text="The first period the money not used as agreed was paid for",
        error_messages={"required": "Select the payment period the money is from"},
    )
    reasons = _reasons(
        "Why should the money be paid back?",
        "This is written in the letter to the person, so use plain words they will understand.",
        "Enter why the money should be paid back",
    )

    def __init__(self, *args, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].error_messages["required"] = "Enter the amount to pay back"
        self.fields["from_period"].choices = [
            (start.isoformat(), f"{long_date(start)} to {long_date(end)}") for start, end in periods
        ]
        self.helper = _helper()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Amount to pay back must be more than £0")
        return amount


class ProposeStopForm(NHSMessagesMixin, forms.Form):
    effective_on = NHSDateField(
        label="Stop direct payments from",
        error_label="the date to stop direct payments from",
        future_only=True,
        help_text="For example, 15 3 2027",
    )
    after_stopping = forms.ChoiceField(
        label="What happens to the budget after direct payments stop?",
        choices=AfterStopping.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happens to the budget after direct payments stop"},
    )
    reasons = _reasons(
        "Why should direct payments stop?",
        "This is written in the letter to the person, so use plain words they will understand.",
        "Enter why direct payments should stop",
    )

    def __init__(self, *args, respond_by: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["effective_on"].help_text = (
            f"After {long_date(respond_by)}, the date the person can respond by. For example, "
            f"{_example(respond_by + datetime.timedelta(days=7))}"
        )
        self.helper = _helper()


class ResponseForm(NHSMessagesMixin, forms.Form):
    response = _reasons(
        "What did the person say?",
        "Write down what they told us, by letter, telephone, email or in person, including anything that would "
        "make paying back or stopping difficult for them.",
        "Enter what the person said",
    )
    response_on = NHSDateField(label="Date of the response", error_label="the date of the response", past_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


AGREE_CHOICES = [("yes", "Yes, go ahead"), ("no", "No, do not go ahead")]


class DecideForm(NHSMessagesMixin, forms.Form):
    """The decision. The recovery and the number of payments are asked only of a repayment (reclaim=True), and
    only read when the answer is yes (and, for the number of payments, when it is taken off payments)."""

    agree = forms.TypedChoiceField(
        label="Do you agree with the proposal?",
        choices=AGREE_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select yes if you agree with the proposal"},
    )
    recovery = forms.ChoiceField(
        label="How is the money to be paid back?",
        choices=Recovery.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    instalments = WholeNumberField(
        label="How many payments to take it off",
        min_value=1,
        max_value=MAX_INSTALMENTS,
        required=False,
        help_text="Shared equally between the next payments to be paid",
    )
    decision_reasons = _reasons(
        "Reasons for the decision",
        "This is written in the decision letter to the person. Say what you took into account, including their "
        "response.",
        "Enter the reasons for the decision",
    )

    def __init__(self, *args, reclaim: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.reclaim = reclaim
        if reclaim:
            # Needed only under their own answer: not marked "(optional)" (nhsuk/widgets/_label_text.html).
            self.fields["recovery"].required_when_shown = True
            self.fields["instalments"].required_when_shown = True
            layout = [
                Field("agree", conditional={"yes": [Field("recovery", conditional={"deduct": ["instalments"]})]}),
                "decision_reasons",
            ]
        else:
            del self.fields["recovery"], self.fields["instalments"]
            layout = ["agree", "decision_reasons"]
        self.helper = _helper(*layout)

    def clean(self):
        data = super().clean()
        if not self.reclaim or not data.get("agree"):
            data.pop("recovery", None)
            data.pop("instalments", None)
            return data
        if not data.get("recovery") and "recovery" not in self.errors:
            self.add_error("recovery", "Select how the money is to be paid back")
        if data.get("recovery") == Recovery.DEDUCT:
            if data.get("instalments") is None and "instalments" not in self.errors:
                self.add_error("instalments", "Enter how many payments to take it off")
        else:
            data.pop("instalments", None)
            self.errors.pop("instalments", None)
        return data
