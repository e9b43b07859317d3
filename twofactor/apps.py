from django.apps import AppConfig


class TwoFactorConfig(AppConfig):
    name = "twofactor"
    verbose_name = "Second factor"

    def ready(self):
        from twofactor import session  # noqa: F401  (connects the sign-in signal)
