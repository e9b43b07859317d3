from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports: the PHB team's dashboard, the NHS England return, the outcomes report and exports"
