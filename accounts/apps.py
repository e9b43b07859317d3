from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Signing in and sessions"

    def ready(self):
        from accounts import signals  # noqa: F401  (lockouts, timeouts and role changes reach the audit trail)
