"""The demo staff's authenticator app (make run): one published key, for demo data only.

Demo staff sign in with the demo password and then a code from an authenticator app set up with
DEMO_TOTP_KEY (or from `manage.py demo_code`). They get it only when DEBUG is on: seed_demo run with
--allow-production leaves them without one, so they set up their own at first sign-in and a published
key is never what stands between a live site and its records.
"""

import time

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor.rules import needs_second_factor, next_code, secret_in_groups

# "phb-demo-only-totp-key" in hex. Public: anyone reading this can make the codes.
DEMO_TOTP_KEY = "7068622d64656d6f2d6f6e6c792d746f74702d6b6579"


def seed(users: dict) -> int:
    """Gives each demo member of staff the demo authenticator (when DEBUG is on); returns how many new."""
    if not settings.DEBUG:
        return 0
    made = 0
    for user in users.values():
        if needs_second_factor(user):
            _, created = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "Demo authenticator", "key": DEMO_TOTP_KEY}
            )
            made += created
    return made


def codes_now() -> tuple[str, str]:
    """The demo key's code for these 30 seconds and for the next 30 (each code works once an account)."""
    now = time.time()
    return next_code(DEMO_TOTP_KEY, now=now, last_t=-1), next_code(DEMO_TOTP_KEY, now=now, last_t=int(now // 30))


def sign_in_lines() -> list[str]:
    if not settings.DEBUG:
        return ["Staff set up an authenticator app the first time they sign in."]
    return [
        "Staff then give a 6-digit code from an authenticator app. For the demo, add this demo-only key to one:",
        f"  {secret_in_groups(DEMO_TOTP_KEY)}",
        "  or run `.venv/bin/python manage.py demo_code` for the code now.",
    ]
