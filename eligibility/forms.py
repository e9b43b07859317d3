from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils import timezone

from eligibility import rules, selectors, services
from eligibility.models import FundingAnswer, Section117Answer
from people.models import Person
from phb.forms import NHSMessagesMixin
from phb.nhsuk import Field, NHSDateField

YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no(label: str, *, help_text: str = "", required: bool = True) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        required=required,
    )


class ScreeningForm(NHSMessagesMixin, forms.Form):
    """The questions follow the rules in eligibility.rules; follow-up questions
    are revealed under the answer they belong to (all shown without JavaScript)."""

    screened_on = NHSDateField(label="Screening date", past_only=True, help_text="For example, 15 3 2026")
    funding = forms.ChoiceField(
        label="Which NHS continuing care funding does the person have?",
        choices=FundingAnswer.choices,
        widget=forms.RadioSelect,
    )
    inpatient_chc = yes_no("Are they a hospital inpatient now?", required=False)
    inpatient_cc = yes_no("Are they a hospital inpatient now?", required=False)
    section_117 = forms.ChoiceField(
        label="Do they receive section 117 mental health aftercare?",
        choices=Section117Answer.choices,
        widget=forms.RadioSelect,
    )
    wheelchair = yes_no("Are they eligible for NHS wheelchair services?")
    commissioned_package = yes_no(
        "Do they have an individually commissioned care package?",
        help_text="For example, a package for complex learning disability or mental health needs",
    )
    package_description = forms.CharField(
        label="Describe the package", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    block_contract_services = forms.CharField(
        label="Services in the package paid through an NHS block contract",
        help_text="One service on each line. These cannot be paid for again from a budget.",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cohorts = forms.ModelMultipleChoiceField(
        label="Which IPC cohorts is the person in?",
        help_text="Select all that apply. Leave blank if none apply.",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person
        today = timezone.localdate()
        self.fields["screened_on"].initial = today
        self.fields["cohorts"].queryset = selectors.cohorts_offered(on=today)
        self.fields["cohorts"].label_from_instance = lambda c: c.name
        self.fields["funding"].error_messages["required"] = "Select which continuing care funding the person has"
        self.fields["section_117"].error_messages["required"] = "Select whether they receive section 117 aftercare"
        self.fields["wheelchair"].error_messages["required"] = (
            "Select whether they are eligible for wheelchair services"
        )
        self.fields["commissioned_package"].error_messages["required"] = (
            "Select whether they have an individually commissioned care package"
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "screened_on",
            Field("funding", conditional={"chc": ["inpatient_chc"], "cc": ["inpatient_cc"]}),
            "section_117",
            Field("wheelchair", inline=True),
            Field("commissioned_package", conditional={"yes": ["package_description", "block_contract_services"]}),
            "cohorts",
        )

    def clean(self):
        cleaned = super().clean()
        funding = cleaned.get("funding")
        inpatient_field = {"chc": "inpatient_chc", "cc": "inpatient_cc"}.get(funding)
        if inpatient_field and cleaned.get(inpatient_field) is None:
            self.add_error(inpatient_field, "Select whether they are a hospital inpatient now")
        if cleaned.get("commissioned_package") and not cleaned.get("package_description", "").strip():
            self.add_error("package_description", "Describe the individually commissioned care package")
        if self.errors:
            return cleaned
        facts = services.facts_for(person=self.person, on=cleaned["screened_on"], **self._answers(cleaned))
        for field, message in rules.problems(facts, on=cleaned["screened_on"], today=timezone.localdate()).items():
            self.add_error(field, message)
        return cleaned

    @staticmethod
    def _answers(cleaned) -> dict:
        funding = cleaned["funding"]
        return {
            "funding": funding,
            "hospital_inpatient": bool(cleaned.get({"chc": "inpatient_chc", "cc": "inpatient_cc"}.get(funding, ""))),
            "section_117": cleaned["section_117"],
            "wheelchair": cleaned["wheelchair"],
            "commissioned_package": cleaned["commissioned_package"],
            "block_contract_services": cleaned.get("block_contract_services", "").splitlines(),
            "cohorts": list(cleaned.get("cohorts") or []),
        }

    def service_values(self) -> dict:
        return {
            "screened_on": self.cleaned_data["screened_on"],
            "package_description": self.cleaned_data.get("package_description", ""),
            **self._answers(self.cleaned_data),
        }

    def preview(self) -> rules.ScreeningResult:
        """What saving these answers would record, shown before the coordinator saves."""
        values = self.service_values()
        on = values.pop("screened_on")
        values.pop("package_description")
        return rules.screen(services.facts_for(person=self.person, on=on, **values), on=on)


class DecisionForm(NHSMessagesMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve: the person can have a personal health budget"), ("decline", "Decline")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Reason for your decision",
        help_text="This is shown to the care coordinator and written in the letter to the person. Use plain English.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].error_messages["required"] = "Select approve or decline"
        self.fields["reason"].error_messages["required"] = "Enter the reason for your decision"
        self.helper = FormHelper()
        self.helper.form_tag = False
