import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from people import contact, nhs_number
from people.access import persons_visible_to
from people.models import CareTeam, ContactChannel, Person, RepresentativeRole, User
from people.services import DUPLICATE_NHS_NUMBER, PERSON_FIELDS
from phb.forms import NHSMessagesMixin, StaleGuardField
from phb.nhsuk import Fieldset, NHSDateField
from phb.roles import Role
from phb.words import long_date

# The shape of a UK postcode (outward code, space optional, inward code).
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
_PHONE = re.compile(r"^[0-9 +()-]{7,20}$")


class PersonForm(NHSMessagesMixin, forms.ModelForm):
    # Typed with spaces or dashes ("999 123 4567"), so longer than the 10 digits stored.
    nhs_number = forms.CharField(
        label="NHS number",
        max_length=20,
        help_text="This is a 10 digit number, like 999 123 4567",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-10", "inputmode": "numeric", "spellcheck": "false"}),
    )
    date_of_birth = NHSDateField(label="Date of birth", past_only=True, help_text="For example, 15 3 1984")
    # The version the form was opened at; a save against a newer one is refused.
    version = StaleGuardField()

    class Meta:
        model = Person
        fields = PERSON_FIELDS
        widgets = {
            "postcode": forms.TextInput(attrs={"class": "nhsuk-input--width-10", "autocomplete": "postal-code"}),
            "given_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "family_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"class": "nhsuk-input--width-20", "type": "tel"}),
            "representative_role": forms.RadioSelect,
            "contact_by": forms.RadioSelect,
        }
        help_texts = {
            "preferred_name": "What the person likes to be called, if different",
            "contact_by": "A text message needs a mobile phone number above",
            "representative_role": "A representative acts for a child or an adult who lacks capacity. "
            "A nominee receives a direct payment for the person.",
        }

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        teams = CareTeam.objects.filter(members=user)
        self.fields["care_team"].queryset = teams
        self.fields["care_team"].empty_label = "Choose a care team"
        self.fields["care_team"].error_messages["required"] = "Select a care team"
        # Email unless they choose otherwise (and for a form from before the choice was on it).
        self.fields["contact_by"].required = False
        self.fields["lead_coordinator"].queryset = (
            User.objects.filter(role=Role.COORDINATOR, teams__in=teams, is_active=True)
            .distinct()
            .order_by("first_name", "last_name")
        )
        self.fields["lead_coordinator"].empty_label = "Not yet chosen"
        self.fields["representative_role"].choices = RepresentativeRole.choices
        if not self.instance._state.adding:
            self.initial["version"] = self.instance.version
            self.initial["nhs_number"] = self.instance.nhs_number_display
        elif len(teams) == 1:
            # ModelForm's initial (from the unsaved instance) wins over field.initial.
            self.initial["care_team"] = teams[0].pk
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "version",
            Fieldset(
                "Personal details",
                "nhs_number",
                "given_name",
                "family_name",
                "preferred_name",
                "date_of_birth",
                "gp_practice",
                size="m",
            ),
            Fieldset(
                "Address and contact details",
                "address_line_1",
                "address_line_2",
                "town",
                "postcode",
                "phone",
                "email",
                "wants_review_reminders",
                "contact_by",
                "letters_by_post",
                size="m",
            ),
            Fieldset(
                "Representative or nominee",
                "representative_role",
                "representative_name",
                "representative_relationship",
                "representative_contact",
                size="m",
            ),
            Fieldset("Care", "care_team", "lead_coordinator", size="m"),
        )

    def clean_nhs_number(self):
        value = self.cleaned_data["nhs_number"]
        problem = nhs_number.problem(value)
        if problem:
            raise forms.ValidationError(problem)
        digits = nhs_number.normalise(value)
        existing = Person.objects.filter(nhs_number=digits).exclude(pk=self.instance.pk).first()
        if existing is not None:
            # Name the existing record only to someone who may see it anyway.
            if persons_visible_to(self.user).filter(pk=existing.pk).exists():
                raise forms.ValidationError(
                    f"This NHS number is already recorded for {existing.full_name}, "
                    f"born {long_date(existing.date_of_birth)}. Search your caseload to find them."
                )
            raise forms.ValidationError(DUPLICATE_NHS_NUMBER)
        return digits

    def clean_postcode(self):
        value = " ".join(self.cleaned_data["postcode"].upper().split())
        if not _POSTCODE.match(value):
            raise forms.ValidationError("Enter a real postcode, like LS1 4AP")
        return value

    def clean_contact_by(self):
        return self.cleaned_data.get("contact_by") or ContactChannel.EMAIL

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not _PHONE.match(value):
            raise forms.ValidationError("Enter a phone number, like 01632 960 001 or 07700 900 982")
        return value

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("representative_role")
        name = (cleaned.get("representative_name") or "").strip()
        if role and not name:
            self.add_error("representative_name", "Enter the representative's or nominee's name")
        if name and not role:
            self.add_error("representative_role", "Select whether they are a representative or a nominee")
        if cleaned.get("wants_review_reminders") and "phone" in cleaned and "email" in cleaned:
            missing = contact.missing_address(
                ContactChannel(cleaned.get("contact_by") or ContactChannel.EMAIL), cleaned["email"], cleaned["phone"]
            )
            if missing:
                self.add_error(*missing)
        if cleaned.get("letters_by_post") and not all(self._typed(name) for name in ("address_line_1", "postcode")):
            self.add_error("letters_by_post", "Enter their address to post letters to them")
        return cleaned

    def _typed(self, name: str) -> str:
        """What was typed in a field, valid or not: a postcode in the wrong shape is still an address to fix."""
        return str(self.data.get(self.add_prefix(name)) or "").strip()

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS}


class CaseloadSearchForm(forms.Form):
    q = forms.CharField(
        label="Search by NHS number or name",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "spellcheck": "false"}),
        error_messages={"max_length": "Search must be 100 characters or fewer"},
    )
