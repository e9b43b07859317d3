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
        _count_work_with_the_user()


def _count_work_with_the_user():
    """The header's counts of work are read with the signed-in user, in the query that loads them (no query of
    their own on any page: casework.trays.user_annotations)."""
    from casework.trays import user_annotations
    from people.backends import USER_ANNOTATIONS

    if user_annotations not in USER_ANNOTATIONS:
        USER_ANNOTATIONS.append(user_annotations)
