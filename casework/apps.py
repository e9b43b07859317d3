from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework: journey stages, work trays and the caseload"

    def ready(self):
        from casework.selectors import with_stage_today
        from people.access import RECORD_ANNOTATIONS

        # The person page shows the stage under the name, read with the person (casework's person_stage tag).
        if with_stage_today not in RECORD_ANNOTATIONS:
            RECORD_ANNOTATIONS.append(with_stage_today)
