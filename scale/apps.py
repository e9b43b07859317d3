from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """National-scale tooling: the `seed_scale` generator. It sits above every other app and only writes test data."""

    name = "scale"
    verbose_name = "Scale testing"
