from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Patient portal"

    def ready(self):
        # The portal's sources of a coordinator's work tray (casework may not import the portal).
        from portal import trays

        trays.register_sources()
