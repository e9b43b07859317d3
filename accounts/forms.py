"""Forms for a forgotten password, in the NHS voice."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core.validators import MaxLengthValidator

from accounts import signin

PASSWORD_MAX_LENGTH = 128


class ForgottenPasswordForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The email address you use to sign in.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
    )

    def get_users(self, email):
        """Only accounts that sign in with a password here (accounts.signin): nobody who signs in with NHS login
        or CIS2 is sent a link to set one."""
        return (user for user in super().get_users(email) if signin.password_allowed(user))


class NewPasswordForm(SetPasswordForm):
    error_messages = {"password_mismatch": "The passwords do not match. Type the same new password twice."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = (
            "Use at least 12 characters. Three or four random words you can remember work well. "
            "Do not use a password you use anywhere else."
        )
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Type the new password again"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = "Type the new password again"
        # Bounded like every text field (tests/test_field_bounds.py), as portal's AcceptInvitationForm is.
        for name in ("new_password1", "new_password2"):
            field = self.fields[name]
            field.max_length = PASSWORD_MAX_LENGTH
            field.widget.attrs["maxlength"] = str(PASSWORD_MAX_LENGTH)
            field.validators.append(
                MaxLengthValidator(
                    PASSWORD_MAX_LENGTH, message=f"Your password must be {PASSWORD_MAX_LENGTH} characters or fewer"
                )
            )
