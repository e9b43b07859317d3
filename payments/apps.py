from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments: schedules, payment runs and money in use"

    def ready(self):
        from careplans.approval import ON_ACTIVATE
        from payments.services import schedule_on_activation

        # careplans cannot import payments (it is below it): it calls what registers here when a version
        # becomes active, in the same transaction.
        if schedule_on_activation not in ON_ACTIVATE:
            ON_ACTIVATE.append(schedule_on_activation)
