from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments: schedules, payment runs and money in use"

    def ready(self):
        from careplans.approval import ON_ACTIVATE
        from payments.flagging import with_flags
        from payments.services import schedule_on_activation
        from people.access import RECORD_ANNOTATIONS

        # careplans cannot import payments (it is below it): it calls what registers here when a version
        # becomes active, in the same transaction.
        if schedule_on_activation not in ON_ACTIVATE:
            ON_ACTIVATE.append(schedule_on_activation)
        # The person page shows the money flags raised on their plans, read with the person (no query more).
        if with_flags not in RECORD_ANNOTATIONS:
            RECORD_ANNOTATIONS.append(with_flags)
