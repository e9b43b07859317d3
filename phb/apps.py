from django.apps import AppConfig


class PhbConfig(AppConfig):
    name = "phb"
    verbose_name = "Service core"

    def ready(self):
        from phb import letterhead  # noqa: F401  (registers its start-up check)
