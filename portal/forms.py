from crispy_forms.helper import FormHelper
from django import forms

from phb.forms import NHSMessagesMixin
from portal.models import Relationship
from portal.services import MESSAGE_LIMIT


class InvitationForm(NHSMessagesMixin, forms.Form):
    email = forms.EmailField(label="Email address", max_length=254, help_text="We will send the link here")
    relationship = forms.ChoiceField(
        label="Who is this for?",
        choices=Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the invitation is for"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class AcceptInvitationForm(NHSMessagesMixin, forms.Form):
    # The account's name, shown at the top of every page once signed in (people.User's columns). Asked of
    # a representative; an invitation to the person themselves starts with their name (portal.selectors).
    first_name = forms.CharField(
        label="Your first name", max_length=150, error_messages={"required": "Enter your first name"}
    )
    last_name = forms.CharField(
        label="Your last name", max_length=150, error_messages={"required": "Enter your last name"}
    )
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters. Do not use a password you use anywhere else.",
        error_messages={"required": "Enter a password"},
    )
    password2 = forms.CharField(
        label="Type the password again",
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again"},
    )

    def __init__(self, *args, name_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = self.fields["last_name"].required = name_required
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", "The passwords do not match. Type the same password twice")
        return cleaned


class MessageForm(NHSMessagesMixin, forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=MESSAGE_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"Up to {MESSAGE_LIMIT:,} characters. For example, 'I want to talk about changing my plan'. "
        "In an emergency call 999.",
        error_messages={"required": "Enter your message"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
