"""Forms for the factor pages: validation of what was typed only; the services check the codes."""

from django import forms

from phb.forms import NHSMessagesMixin
from twofactor.rules import looks_like_totp, normalise_code


class AuthenticatorCodeForm(NHSMessagesMixin, forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="The 6-digit code your app shows now, for example 123456",
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "spellcheck": "false",
                "class": "nhsuk-input--width-10",
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not looks_like_totp(code):
            raise forms.ValidationError(
                "Enter the 6-digit code from your authenticator app, using only the numbers 0 to 9"
            )
        return code


class RecoveryCodeForm(NHSMessagesMixin, forms.Form):
    code = forms.CharField(
        label="Recovery code",
        help_text="One of the 10 codes you were given when you set up your second factor, for example abcde-12345",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "autocapitalize": "none",
                "class": "nhsuk-input--width-20",
            }
        ),
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError("Enter a recovery code")
        return code


class ReauthForm(NHSMessagesMixin, forms.Form):
    """Password, and a code when the user has a second factor set up."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "nhsuk-input--width-20"}
        ),
    )

    def __init__(self, *args, with_code: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_code:
            del self.fields["code"]

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError("Enter the code from your authenticator app, or a recovery code")
        return code
