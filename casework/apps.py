from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework: journey stages, work trays and the caseload"

    def ready(self):
        from casework.journey import with_plan_in_force
        from casework.selectors import with_stage_today
        from people.access import RECORD_ANNOTATIONS

        # The person page's summary card shows the stage and the plan in force's money, read with the person
        # (casework's person_journey tag).
        for annotate in (with_stage_today, with_plan_in_force):
            if annotate not in RECORD_ANNOTATIONS:
                RECORD_ANNOTATIONS.append(annotate)
        _count_work_with_the_user()
        _messages_not_sent_of_every_kind()


def _count_work_with_the_user():
    """The header's counts of work, when not kept, are read with the signed-in user in the query that loads them
    (no query of their own on any page: casework.trays.user_annotations)."""
    from casework.trays import keep_read_counts, user_annotations
    from people.backends import USER_ANNOTATIONS, USER_LOADED

    if user_annotations not in USER_ANNOTATIONS:
        USER_ANNOTATIONS.append(user_annotations)
    if keep_read_counts not in USER_LOADED:
        USER_LOADED.append(keep_read_counts)


def _messages_not_sent_of_every_kind():
    """The lead's tray has a source for each kind of message in careplans.emails.OUTBOXES. payments registers its
    kind in its own ready(), which Django runs before this one (INSTALLED_APPS order); casework.trays registers
    its sources when imported, which may be earlier (anything that imports it while the apps load), so they are
    registered again here, when every kind is known."""
    from casework.trays import register_failed_messages

    register_failed_messages()
