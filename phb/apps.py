from django.apps import AppConfig


class PhbConfig(AppConfig):
    name = "phb"
    verbose_name = "Service core"
