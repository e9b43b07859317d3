from decimal import Decimal
from fractions import Fraction

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from budgets.models import BudgetVersion
from careplans import lifecycle, rules
from careplans.models import (
    DOMAIN_CHOICES,
    Change,
    EndReason,
    Outcome,
    PlanVersion,
    Progress,
    ReviewDecision,
    Satisfaction,
    SupportItem,
    UnscheduledReason,
)
from people.models import User
from phb.forms import DecimalNumberField, NHSMessagesMixin, PoundsField, WholeNumberField
from phb.money import MAX_AMOUNT, pounds
from phb.nhsuk import Field, Fieldset, NHSDateField
from phb.roles import Role


def _count(number: int, unit: str) -> str:
    """ "1 month", "3 months": help texts name configured periods, so they must read well for any number."""
    return f"{number} {unit}{'' if number == 1 else 's'}"


def first_review_help() -> str:
    return f"No later than {_count(settings.PLAN_FIRST_REVIEW_WITHIN_MONTHS, 'month')} after the start date"


def direct_payment_help(items_annual: Fraction | None) -> str:
    """What each payment should be for the items paid by direct payment (None: no item is)."""
    if items_annual is None:
        return "In pounds. Only needed if an item is paid by direct payment"
    payments = " or ".join(
        f"{pounds(rules.payment_for(items_annual, often))} {rules.PAYMENT_FREQUENCY_LABELS[often]}"
        for often in rules.PaymentFrequency
    )
    return f"In pounds. The items paid by direct payment cost {pounds(items_annual)} a year: that is {payments}"


def unscheduled_review_help() -> str:
    return f"Leave blank for {_count(settings.PLAN_UNSCHEDULED_REVIEW_DAYS, 'day')} from today"


class OptionsField(forms.ModelMultipleChoiceField):
    """Checkboxes of records: an edited page posting something that is not an option gets a plain message."""

    def clean(self, value):
        try:
            return super().clean(value)
        except ValidationError as error:
            if getattr(error, "code", None) == "required":
                raise
            raise ValidationError("Select one of the options shown", code="invalid_choice") from None


class StartPlanForm(NHSMessagesMixin, forms.Form):
    budget_version = forms.ModelChoiceField(
        label="Which indicative budget is this plan for?",
        queryset=BudgetVersion.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Select the indicative budget the plan is for"},
    )

    def __init__(self, *args, budgets, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["budget_version"]
        field.queryset = budgets
        field.label_from_instance = lambda v: f"Indicative budget {v.number}: £{v.annual_amount:,} a year"
        if budgets:
            self.initial["budget_version"] = budgets[0].pk
        self.helper = FormHelper()
        self.helper.form_tag = False


class PlanForm(NHSMessagesMixin, forms.ModelForm):
    start_date = NHSDateField(label="Start date", required=False, help_text="For example, 1 4 2026")
    # Help texts that name a setting or the plan's own figures are written in __init__.
    first_review_date = NHSDateField(label="Date of the first review", required=False)
    agreed_on = NHSDateField(label="Date agreed", required=False, past_only=True)
    dp_amount = PoundsField(label="Amount of each payment", max_value=MAX_AMOUNT, required=False)
    reduction_notice_days = WholeNumberField(
        label="Notice before any reduction in the budget, in days",
        required=False,
        min_value=0,
        max_value=365,
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the notice period as a whole number of days, like 28",
            "min_value": "Notice period must be 0 days or more",
            "max_value": "Notice period must be 365 days or fewer",
        },
        help_text="For example, 28",
    )

    class Meta:
        model = PlanVersion
        fields = list(PlanVersion.CONTENT_FIELDS)
        widgets = {
            "what_matters": forms.Textarea(attrs={"rows": 4}),
            "about_me": forms.Textarea(attrs={"rows": 4}),
            "risks": forms.Textarea(attrs={"rows": 3}),
            "contingency": forms.Textarea(attrs={"rows": 3}),
            "over_budget_justification": forms.Textarea(attrs={"rows": 3}),
            "dp_recipient": forms.RadioSelect,
            "dp_frequency": forms.RadioSelect,
            "agreement_method": forms.RadioSelect,
        }
        labels = {"care_coordinator": "Named care coordinator"}
        help_texts = {
            "what_matters": "In the person's own words",
            "review_method": "For example, a visit at home with the person and their daughter",
            "health_monitor": "For example, their GP or community nurse",
            "over_budget_justification": "Only needed if the plan costs more than the indicative budget",
            "dp_recipient": "Only needed if any of the money is a direct payment",
            "dp_recipient_name": "The person's own name if they receive it themselves",
        }

    def __init__(self, *args, section: "rules.Section | None" = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        person = self.instance.plan.person
        self.fields["care_coordinator"].queryset = User.objects.filter(
            role=Role.COORDINATOR, teams=person.care_team_id, is_active=True
        ).order_by("first_name")
        self.fields["care_coordinator"].empty_label = "Choose a care coordinator"
        for name in ("dp_recipient", "dp_frequency", "agreement_method"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0]]
        self.fields["first_review_date"].help_text = first_review_help()
        # The items' costs in one query: what the direct payment must cover, and whether the plan costs
        # more than its budget (rules.totals), for the labels below.
        costs = rules.PlanSnapshot(
            budget_annual=self.instance.budget_version.annual_amount,
            items=tuple(
                rules.ItemSnapshot(str(pk), "", cost, quantity, rules.Frequency(often), rules.MoneyOption(option))
                for pk, cost, quantity, often, option in self.instance.items.values_list(
                    "pk", "unit_cost", "quantity", "frequency", "money_option"
                )
            ),
        )
        paid_directly = [item for item in costs.items if item.money_option == rules.MoneyOption.DIRECT_PAYMENT]
        self.uses_direct_payment = bool(paid_directly)
        self.over_budget = rules.totals(costs).over_budget
        self.fields["dp_amount"].help_text = direct_payment_help(
            sum((rules.item_annual_exact(i.unit_cost, i.quantity, i.frequency) for i in paid_directly), Fraction(0))
            if self.uses_direct_payment
            else None
        )
        self.initial["revision"] = self.instance.revision
        self._mark_needed()
        self.helper = FormHelper()
        self.helper.form_tag = False
        if section is not None:
            # One part of the plan at a time (the draft's task list links to each): its fields only.
            for name in [name for name in self.fields if name not in rules.SECTION_FIELDS[section]]:
                del self.fields[name]
            self.helper.layout = Layout(*rules.SECTION_FIELDS[section])
            return
        self.helper.layout = Layout(
            Fieldset("About the person", "what_matters", "about_me", "helped_by", size="m"),
            Fieldset("Dates and reviews", "start_date", "first_review_date", "review_method", size="m"),
            Fieldset(
                "Care and safety",
                "care_coordinator",
                "health_monitor",
                "risks",
                "contingency",
                "reduction_notice_days",
                size="m",
            ),
            Fieldset(
                "Direct payment",
                "dp_recipient",
                "dp_recipient_name",
                "dp_amount",
                "dp_frequency",
                size="m",
            ),
            Fieldset("Agreement", "agreed_on", "agreement_method", "agreement_witness", size="m"),
            "over_budget_justification",
        )

    def _mark_needed(self) -> None:
        """Fields submission needs lose "(optional)" (careplans.rules.ALWAYS_NEEDED, and those needed now:
        the direct payment's when any item is one, the explanation when the plan costs more than its
        budget), so a label never says optional what the "still needed" box then asks for."""
        needed_now = set(rules.ALWAYS_NEEDED)
        if self.uses_direct_payment:
            needed_now |= {"dp_recipient", "dp_recipient_name", "dp_amount", "dp_frequency"}
        if self.over_budget:
            needed_now.add("over_budget_justification")
            self.fields[
                "over_budget_justification"
            ].help_text = "The plan costs more than the indicative budget: say why the extra is needed"
        for name in needed_now:
            self.fields[name].required_when_shown = True

    def clean_dp_amount(self):
        amount = self.cleaned_data.get("dp_amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError("Amount of each payment must be more than £0")
        return amount

    def clean(self):
        cleaned = super().clean()
        if "dp_recipient" not in self.fields:  # another part of the plan
            return cleaned
        if (self.uses_direct_payment or cleaned.get("dp_amount") or cleaned.get("dp_frequency")) and not cleaned.get(
            "dp_recipient"
        ):
            self.add_error("dp_recipient", "Select who receives the direct payment")
        if cleaned.get("dp_recipient") and not (cleaned.get("dp_recipient_name") or "").strip():
            self.add_error("dp_recipient_name", "Enter the name of the person who receives the direct payment")
        return cleaned

    def plan_values(self) -> dict:
        """The fields this form showed (one section, or the whole plan), ready for services.plan_update."""
        values = {name: self.cleaned_data.get(name) for name in self.Meta.fields if name in self.fields}
        for name in ("dp_recipient", "dp_frequency", "agreement_method"):
            if name in values:
                values[name] = values[name] or ""
        return values


class OutcomeForm(NHSMessagesMixin, forms.ModelForm):
    target_date = NHSDateField(label="Target date", required=False, help_text="For example, 1 10 2026")

    class Meta:
        model = Outcome
        fields = ["domain", "goal", "measure", "target_date"]
        widgets = {"goal": forms.Textarea(attrs={"rows": 3}), "measure": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "goal": "In the person's own words, for example 'I want to get back to my choir'",
            "measure": "For example, 'Jane goes to choir practice every week'",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["domain"].error_messages["required"] = "Select the part of life this outcome is about"
        self.fields["goal"].error_messages["required"] = "Enter what the person wants to achieve"
        self.fields["measure"].error_messages["required"] = "Enter how you will know it is achieved"
        self.fields["domain"].choices = [("", "Choose a part of life")] + [
            c for c in self.fields["domain"].choices if c[0]
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False

    def outcome_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SupportItemForm(NHSMessagesMixin, forms.ModelForm):
    unit_cost = PoundsField(label="Cost of one unit", max_value=MAX_AMOUNT, help_text="In pounds, for example 18.50")
    # More than 0 is the service's rule, with its own message (careplans.rules.item_problems).
    quantity = DecimalNumberField(
        label="Quantity",
        min_value=Decimal("0.00"),
        max_value=Decimal("999999.99"),  # the column: numeric(8, 2)
        help_text="For example, 10 (hours) or 1 (for one item)",
        error_messages={
            "invalid": "Enter the quantity as a number, like 10 or 2.5",
            "min_value": "Quantity must be more than 0",
            "max_value": "Enter a quantity of 999,999 or less",
            "max_digits": "Enter a quantity of 999,999 or less",
            "max_whole_digits": "Enter a quantity of 999,999 or less",
            "max_decimal_places": "Enter the quantity with no more than 2 decimal places",
        },
    )
    outcomes = OptionsField(
        label="Which outcomes does this help with?",
        queryset=Outcome.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every item should help with at least one outcome",
    )

    class Meta:
        model = SupportItem
        fields = [
            "description",
            "provider",
            "category",
            "unit_cost",
            "quantity",
            "frequency",
            "money_option",
            "third_party_organisation",
        ]
        widgets = {"money_option": forms.RadioSelect}

    def __init__(self, *args, version: PlanVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcomes"].queryset = version.outcomes.all()
        self.fields["outcomes"].label_from_instance = lambda o: o.goal
        if not self.instance._state.adding:
            self.initial["outcomes"] = [o.pk for o in self.instance.outcomes.all()]
        self.fields["description"].error_messages["required"] = "Enter what the money buys"
        self.fields["category"].error_messages["required"] = "Select a category"
        self.fields["money_option"].error_messages["required"] = "Select how the money for this item is managed"
        self.fields["category"].choices = [("", "Choose a category")] + [
            c for c in self.fields["category"].choices if c[0]
        ]
        self.fields["frequency"].choices = [c for c in self.fields["frequency"].choices if c[0]]
        self.fields["money_option"].choices = [c for c in self.fields["money_option"].choices if c[0]]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "description",
            "provider",
            "category",
            "unit_cost",
            "quantity",
            "frequency",
            Field("money_option", conditional={"third_party": ["third_party_organisation"]}),
            "outcomes",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("money_option") == "third_party" and not (cleaned.get("third_party_organisation") or "").strip():
            self.add_error("third_party_organisation", "Enter the name of the organisation that holds the money")
        return cleaned

    def _post_clean(self):
        # The model's own checks run in the service, which gives the same messages in the NHS voice.
        pass

    def item_values(self) -> dict:
        return {
            name: self.cleaned_data.get(name) or ""
            for name in self.Meta.fields
            if name not in {"unit_cost", "quantity"}
        } | {
            "unit_cost": self.cleaned_data["unit_cost"],
            "quantity": self.cleaned_data["quantity"],
        }


class DecisionForm(NHSMessagesMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            ("approve", "Approve the plan"),
            ("return", "Return it to the coordinator for changes"),
            ("decline", "Decline the plan"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select approve, return or decline"},
    )
    financially_appropriate = forms.BooleanField(label="The plan is financially appropriate", required=False)
    clinically_appropriate = forms.BooleanField(label="The plan is clinically appropriate", required=False)
    conditions = forms.CharField(
        label="Conditions",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything the approval depends on. Shown in the approval letter.",
    )
    return_reason = forms.CharField(
        label="What should the coordinator change?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is sent to the coordinator.",
    )
    decline_reason = forms.CharField(
        label="Why is the plan declined?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is written in the letter to the person. Use plain English.",
    )

    def __init__(self, *args, decisions=None, **kwargs):
        """decisions: the values this user may choose now (lifecycle.allowed_actions); all by default."""
        super().__init__(*args, **kwargs)
        field = self.fields["decision"]
        if decisions is not None:
            field.choices = [(value, label) for value, label in field.choices if value in decisions]
            words = [value for value, _ in field.choices]
            if words:
                listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
                field.error_messages["required"] = f"Select {listed}"
        reveals = {
            "approve": ["financially_appropriate", "clinically_appropriate", "conditions"],
            "return": ["return_reason"],
            "decline": ["decline_reason"],
        }
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field(
                "decision",
                conditional={value: names for value, names in reveals.items() if value in dict(field.choices)},
            ),
        )
        # Needed only under their own answer: not marked "(optional)" (see nhsuk/widgets/_label_text.html).
        for name in ("financially_appropriate", "clinically_appropriate", "return_reason", "decline_reason"):
            self.fields[name].required_when_shown = True

    def clean(self):
        cleaned = super().clean()
        decision = cleaned.get("decision")
        if decision == "approve":
            if not cleaned.get("financially_appropriate"):
                self.add_error("financially_appropriate", "Confirm that the plan is financially appropriate")
            if not cleaned.get("clinically_appropriate"):
                self.add_error("clinically_appropriate", "Confirm that the plan is clinically appropriate")
        elif decision == "return" and not (cleaned.get("return_reason") or "").strip():
            self.add_error("return_reason", "Enter what the coordinator should change")
        elif decision == "decline" and not (cleaned.get("decline_reason") or "").strip():
            self.add_error("decline_reason", "Enter why the plan is declined")
        return cleaned

    @property
    def reason(self) -> str:
        return self.cleaned_data.get(f"{self.cleaned_data['decision']}_reason", "")


SECOND_PERSON_NOTE = " (a PHB team member must confirm this)"


def _end_reason_choices():
    """Each reason, marked where ending for it waits for a second person (careplans.lifecycle)."""
    return [
        (value, label + (SECOND_PERSON_NOTE if lifecycle.needs_second_person(value) else ""))
        for value, label in EndReason.choices
    ]


class EndPlanForm(NHSMessagesMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is the personal health budget ending?",
        choices=_end_reason_choices,
        widget=forms.RadioSelect,
        help_text="Where a PHB team member must confirm the reason, nothing changes until they do.",
        error_messages={"required": "Select the reason for ending the personal health budget"},
    )
    ended_on = NHSDateField(label="End date", help_text="Payments stop from this date")
    note = forms.CharField(
        label="More about the reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This is written in the letter to the person.",
    )
    unspent_to_repay = PoundsField(
        label="Unspent direct payment money to be repaid",
        max_value=MAX_AMOUNT,
        required=False,
        help_text="Leave blank if none",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].error_messages["required"] = "Enter the end date"
        self.helper = FormHelper()
        self.helper.form_tag = False


class EndingRefuseForm(NHSMessagesMixin, forms.Form):
    reason = forms.CharField(
        label="Why are you refusing this ending?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="We send this to the person who asked for the ending.",
        error_messages={"required": "Enter why you are refusing the ending"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


YES_NO = [("yes", "Yes"), ("no", "No")]


class ReviewForm(NHSMessagesMixin, forms.Form):
    """Built from the plan: a progress question per outcome and a rating per part of life."""

    completed_on = NHSDateField(label="Date of the review", past_only=True)
    money_enough = forms.TypedChoiceField(
        label="Was the money enough?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the money was enough"},
    )
    money_notes = forms.CharField(
        label="About the money", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    used_as_planned = forms.TypedChoiceField(
        label="Was the money used as planned?",
        choices=YES_NO,
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the money was used as planned"},
    )
    use_notes = forms.CharField(
        label="About how it was used", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    safety_notes = forms.CharField(
        label="Safety and risks", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    satisfaction = forms.ChoiceField(
        label="How satisfied is the person with their budget?",
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how satisfied the person is"},
    )
    decision = forms.ChoiceField(
        label="What happens next?",
        choices=ReviewDecision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what happens next with the plan"},
    )

    def __init__(self, *args, version: PlanVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcomes = list(version.outcomes.all())
        self.domains = sorted({o.domain for o in self.outcomes})
        labels = dict(DOMAIN_CHOICES)
        # One fieldset per outcome holding its progress and its own words box, each with its own label. The
        # legend is fixed text: crispy renders a legend as a template, so the person's goal goes in a label.
        outcome_fieldsets = []
        for n, outcome in enumerate(self.outcomes, start=1):
            self.fields[f"progress_{outcome.key}"] = forms.ChoiceField(
                label=f"Progress on outcome {n}: {outcome.goal}",
                choices=Progress.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Select the progress on outcome {n}"},
            )
            self.fields[f"words_{outcome.key}"] = forms.CharField(
                label=f"Outcome {n} in their own words",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            outcome_fieldsets.append(
                Fieldset(f"Outcome {n}", f"progress_{outcome.key}", f"words_{outcome.key}", size="s")
            )
        for domain in self.domains:
            self.fields[f"change_{domain}"] = forms.ChoiceField(
                label=labels[domain],
                choices=Change.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Select whether {labels[domain].lower()} got better, worse or stayed the same"
                },
            )
        self.fields["completed_on"].error_messages["required"] = "Enter the date of the review"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "completed_on",
            Fieldset("Progress on each outcome", *outcome_fieldsets, size="m"),
            Fieldset(
                "Since the last review, has each part of life got better, stayed the same or got worse?",
                *[Field(f"change_{d}", inline=True) for d in self.domains],
                size="m",
            ),
            Fieldset("The money", "money_enough", "money_notes", "used_as_planned", "use_notes", size="m"),
            Fieldset("Safety and satisfaction", "safety_notes", "satisfaction", size="m"),
            "decision",
        )

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "completed_on": data["completed_on"],
            "outcome_progress": {
                str(o.key): (data[f"progress_{o.key}"], data[f"words_{o.key}"]) for o in self.outcomes
            },
            "domain_ratings": {d: data[f"change_{d}"] for d in self.domains},
            "money_enough": data["money_enough"],
            "money_notes": data["money_notes"],
            "used_as_planned": data["used_as_planned"],
            "use_notes": data["use_notes"],
            "safety_notes": data["safety_notes"],
            "satisfaction": data["satisfaction"],
            "decision": data["decision"],
        }


class ReviewRequestForm(NHSMessagesMixin, forms.Form):
    reason = forms.ChoiceField(
        label="Why is a review needed now?",
        choices=UnscheduledReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why the review is needed"},
    )
    note = forms.CharField(
        label="More about why", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = NHSDateField(label="Due by", required=False, future_only=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["due_on"].help_text = unscheduled_review_help()
        self.helper = FormHelper()
        self.helper.form_tag = False
