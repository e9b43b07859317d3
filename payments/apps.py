from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments: schedules, payment runs and money in use"

    def ready(self):
        from careplans import emails
        from careplans.approval import ON_ACTIVATE, ON_END
        from payments import reminders, tasks
        from payments.flagging import refresh_ended, with_flags
        from payments.models import StatementReminder
        from payments.services import schedule_on_activation
        from people.access import RECORD_ANNOTATIONS

        # careplans cannot import payments (it is below it): it calls what registers here when a version
        # becomes active, in the same transaction.
        if schedule_on_activation not in ON_ACTIVATE:
            ON_ACTIVATE.append(schedule_on_activation)
        # An ended budget's money flags go at once (careplans.approval.ON_END), not at the next daily refresh.
        if refresh_ended not in ON_END:
            ON_END.append(refresh_ended)
        # The person page shows the money flags raised on their plans, read with the person (no query more).
        if with_flags not in RECORD_ANNOTATIONS:
            RECORD_ANNOTATIONS.append(with_flags)
        # The PHB team lead's page and tray of messages not sent (careplans.emails, casework.trays) list statement
        # reminders the outbox gave up on, and try them again, beside careplans' own.
        if "statement" not in emails.OUTBOXES:
            emails.register(
                "statement",
                emails.OutboxKind(
                    model=StatementReminder,
                    task=tasks.send_statement_reminder,
                    label="Statement reminders",
                    heading="Statement reminders not sent",
                    person_path="plan__person__",
                    rows=reminders.listed,
                    describe=reminders.describe,
                ),
            )
