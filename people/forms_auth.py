from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

# One message for a wrong address, a wrong password and a locked sign-in (accounts.lockout), so the
# page never tells anyone whether an account exists or how many tries are left.
NOT_RIGHT = (
    "The email address or password is not right, or there have been too many tries. "
    "Check them and try again. After 5 tries, wait 30 minutes, or reset your password."
)


class SignInForm(AuthenticationForm):
    """Sign in with an e-mail address (usernames stay an internal detail), with messages that say what
    to do, and never which part was wrong."""

    error_messages = {
        "invalid_login": NOT_RIGHT,
        "inactive": NOT_RIGHT,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        email = self.fields["username"]
        email.label = "Email address"
        email.max_length = 254  # an address may be longer than a username (150)
        email.validators = [v for v in email.validators if not isinstance(v, MaxLengthValidator)]
        email.validators.append(MaxLengthValidator(254))
        email.error_messages["max_length"] = "Enter an email address of 254 characters or fewer"
        email.widget = forms.EmailInput(
            attrs={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none", "maxlength": 254}
        )
        email.error_messages["required"] = "Enter your email address"
        password = self.fields["password"]
        password.error_messages["required"] = "Enter your password"
        # Bounded like every text field (tests/test_field_bounds.py), as generously as confirm-it-is-you
        # (twofactor.forms.ReauthForm), so no password set on any page is ever refused here.
        password.max_length = 4096
        password.validators.append(MaxLengthValidator(4096, message=NOT_RIGHT))
        password.widget = forms.PasswordInput(attrs={"autocomplete": "current-password", "maxlength": 4096})


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The admin site's sign-in (admin.site.login_form): the same e-mail address field and messages as the
    service's own, with the admin's rule that only accounts Django lets into the admin get past it."""
