from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "People and accounts"

    def ready(self):
        from people import signals  # connects the audit receivers

        signals.connect_freshness()
