from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout
from django import forms
from django.template.loader import render_to_string

from budgets import calculate
from budgets.models import Assessment, CurrentService, MethodChoice
from people.models import EngagementSupport
from phb.forms import DecimalNumberField, NHSMessagesMixin, PoundsField, StaleGuardField, WholeNumberField
from phb.money import MAX_AMOUNT
from phb.nhsuk import Field, Fieldset, NHSDateField

LEVEL_CHOICES = [(level.value, calculate.LEVEL_LABELS[level]) for level in calculate.NeedLevel]


def level_descriptions() -> list[tuple[str, str]]:
    """(label, what it means) for each need level, in order, from the one list beside the levels."""
    return [(calculate.LEVEL_LABELS[level], calculate.LEVEL_DESCRIPTIONS[level]) for level in calculate.NeedLevel]


class AssessmentForm(NHSMessagesMixin, forms.ModelForm):
    assessed_on = NHSDateField(label="Date of assessment", past_only=True, help_text="For example, 15 3 2026")
    # The version the form was opened at; shown again as posted after an error, so a refused save
    # is never silently repeated over someone else's changes.
    version = StaleGuardField()

    class Meta:
        model = Assessment
        fields = ["assessed_on", "participants", "engagement_support", "engagement_note"]
        widgets = {
            "participants": forms.Textarea(attrs={"rows": 2}),
            "engagement_support": forms.RadioSelect,
            "engagement_note": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "participants": "For example, the person, their daughter and their community nurse",
            "engagement_support": "Some people need more help than others to set goals and use a budget. "
            "This shows on their record and in lists.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial["version"] = self.instance.version
        self.fields["engagement_support"].choices = [c for c in EngagementSupport.choices if c[0]]
        self.fields["engagement_support"].error_messages["required"] = (
            "Select how much help they need to set goals and use a budget"
        )
        self.fields["participants"].error_messages["required"] = "Enter who took part in the assessment"
        existing = {n.domain: n for n in self.instance.needs.all()} if not self.instance._state.adding else {}
        domain_fieldsets = []
        for domain in calculate.Domain:
            label = calculate.DOMAIN_LABELS[domain]
            level = f"level_{domain.value}"
            words = f"words_{domain.value}"
            self.fields[level] = forms.ChoiceField(
                label="Level of need",
                choices=LEVEL_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": f"Select the level of need for {label}"},
            )
            self.fields[words] = forms.CharField(
                label="In their own words",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            if domain.value in existing:
                self.initial[level] = existing[domain.value].level
                self.initial[words] = existing[domain.value].own_words
            domain_fieldsets.append(
                Fieldset(label[:1].upper() + label[1:], Field(level, inline=True, small=True), words, size="m")
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "version",
            "assessed_on",
            "participants",
            "engagement_support",
            "engagement_note",
            HTML(render_to_string("budgets/_need_levels.html", {"levels": level_descriptions()})),
            *domain_fieldsets,
        )

    def needs(self) -> dict[str, tuple[str, str]]:
        return {
            d.value: (self.cleaned_data[f"level_{d.value}"], self.cleaned_data[f"words_{d.value}"])
            for d in calculate.Domain
        }

    def assessment_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class CurrentServiceForm(NHSMessagesMixin, forms.ModelForm):
    version = StaleGuardField()
    unit_cost = PoundsField(label="Cost of one unit", max_value=MAX_AMOUNT, help_text="In pounds, for example 18.50")
    units = DecimalNumberField(
        label="Number of units",
        min_value=Decimal("0.01"),
        max_value=Decimal("999999.99"),  # the column: numeric(8, 2)
        help_text="For example, 10 (hours)",
    )

    class Meta:
        model = CurrentService
        fields = ["name", "provider", "service_type", "funding", "unit_cost", "units", "unit_kind", "period"]
        widgets = {"funding": forms.RadioSelect}
        help_texts = {
            "service_type": "For example, home care, physiotherapy or a day centre",
            "funding": "Services paid through an NHS block contract are shown but cannot be moved into the budget.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funding"].error_messages["required"] = "Select who pays for the service"
        self.fields["units"].error_messages.update(
            {
                "invalid": "Enter the number of units as a number, like 10 or 2.5",
                "min_value": "Number of units must be more than 0",
                "max_value": "Number of units must be 999,999 or fewer",
                "max_digits": "Number of units must be 999,999 or fewer",
                "max_whole_digits": "Number of units must be 999,999 or fewer",
                "max_decimal_places": "Enter the number of units with no more than 2 decimal places, like 2.5",
            }
        )
        if not self.instance._state.adding:
            self.initial["version"] = self.instance.version
        self.fields["period"].choices = [c for c in self.fields["period"].choices if c[0]]
        self.fields["unit_kind"].choices = [c for c in self.fields["unit_kind"].choices if c[0]]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class BudgetChoiceForm(NHSMessagesMixin, forms.Form):
    method = forms.ChoiceField(
        label="Which figure should the indicative budget start from?",
        choices=MethodChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select which figure the budget starts from"},
    )
    adjustment = PoundsField(
        label="Adjustment",
        allow_negative=True,
        max_value=MAX_AMOUNT,
        required=False,
        help_text="Leave blank for no adjustment. Use a minus sign to reduce the figure, for example -500",
    )
    adjustment_reason = forms.CharField(
        label="Reason for the adjustment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    council_share_means_tested = forms.BooleanField(
        label="The council has means-tested its share of this budget",
        required=False,
        help_text="Only the council's share of an integrated budget can be means-tested. NHS money never is.",
    )

    def __init__(self, *args, has_council_share: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_council_share:
            del self.fields["council_share_means_tested"]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("adjustment") and not (cleaned.get("adjustment_reason") or "").strip():
            self.add_error("adjustment_reason", "Enter the reason for the adjustment")
        return cleaned

    def service_values(self) -> dict:
        return {
            "method": self.cleaned_data["method"],
            "adjustment": self.cleaned_data.get("adjustment") or 0,
            "adjustment_reason": self.cleaned_data.get("adjustment_reason", ""),
            "council_share_means_tested": self.cleaned_data.get("council_share_means_tested", False),
        }


class SignOffForm(NHSMessagesMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("sign_off", "Sign off: the person can be told this budget"), ("return", "Return to the coordinator")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select sign off or return"},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        help_text="Required if you return the budget: say what to change.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Enter the reason for returning the budget")
        return cleaned


class TariffForm(NHSMessagesMixin, forms.Form):
    version = StaleGuardField()
    effective_from = NHSDateField(label="Starts on", help_text="Budgets calculated on or after this date use it")
    price_per_point = PoundsField(
        label="Price of one point", max_value=calculate.MAX_PRICE_PER_POINT, help_text="In pounds, for example 250"
    )
    notes = forms.CharField(label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, tariff=None, **kwargs):
        super().__init__(*args, **kwargs)
        for domain in calculate.Domain:
            for level in calculate.NeedLevel:
                name = f"points_{domain.value}_{level.value}"
                where = f"{calculate.LEVEL_LABELS[level].lower()} need in {calculate.DOMAIN_LABELS[domain]}"
                self.fields[name] = WholeNumberField(
                    label=f"Points for {where}",
                    min_value=0,
                    max_value=calculate.MAX_POINTS,
                    widget=forms.TextInput(attrs={"class": "nhsuk-input--width-3", "inputmode": "numeric"}),
                    error_messages={
                        "required": f"Enter points for {where}",
                        "invalid": "Enter points as a whole number, like 4",
                        "min_value": "Points must be 0 or more",
                        "max_value": f"Points must be {calculate.MAX_POINTS:,} or fewer",
                    },
                )
                if tariff is not None:
                    self.initial[name] = tariff.points.get(domain.value, {}).get(level.value)
        if tariff is not None:
            self.initial.update(
                effective_from=tariff.effective_from,
                price_per_point=tariff.price_per_point,
                notes=tariff.notes,
                version=tariff.version,
            )
        self.fields["price_per_point"].error_messages["required"] = "Enter the price of one point"
        self.fields["effective_from"].error_messages["required"] = "Enter the date the tariff starts"

    def grid(self):
        """Rows of (domain label, [(level label, bound field) by level]) for the template's table (each box
        names its level, so the table can stack on a narrow screen)."""
        return [
            (
                calculate.DOMAIN_LABELS[d],
                [
                    (calculate.LEVEL_LABELS[level], self[f"points_{d.value}_{level.value}"])
                    for level in calculate.NeedLevel
                ],
            )
            for d in calculate.Domain
        ]

    def level_labels(self):
        return [calculate.LEVEL_LABELS[level] for level in calculate.NeedLevel]

    def service_values(self) -> dict:
        return {
            "effective_from": self.cleaned_data["effective_from"],
            "price_per_point": self.cleaned_data["price_per_point"],
            "notes": self.cleaned_data.get("notes", ""),
            "points": {
                d.value: {
                    level.value: self.cleaned_data[f"points_{d.value}_{level.value}"] for level in calculate.NeedLevel
                }
                for d in calculate.Domain
            },
        }
