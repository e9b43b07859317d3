from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from phb import audit
from phb.models import AuditAction, AuditEvent
from phb.roles import Role, has_role


def _admins_only(request) -> bool:
    # The admin is for administrators only; clinical staff flagged is_staff by
    # mistake still cannot reach it.
    return has_role(request.user, Role.ADMIN) and request.user.is_staff


admin.site.has_permission = _admins_only

SECRET_FIELDS = frozenset({"password", "password1", "password2"})


class AuditedAdminMixin:
    """Every add, change and removal in the admin is written to the audit trail like any other change:
    which fields changed, before and after (never passwords), in the admin's own transaction."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name not in SECRET_FIELDS]
        audit.record(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            summary=f"{'Changed' if change else 'Added'} in admin: {audit.fields_in_words(obj, changed) or 'nothing'}",
            changes={
                name: [audit.json_safe(form.initial.get(name)), audit.json_safe(form.cleaned_data.get(name))]
                for name in changed
            },
        )

    def _record_removal(self, request, obj) -> None:
        audit.record(
            actor=request.user,
            action=AuditAction.REMOVE,
            obj=obj,
            summary=f"Removed in admin: {obj._meta.verbose_name} {obj.pk}",
        )

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._record_removal(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The "delete selected" action: one event per row removed, with the rows, or none at all.
        with transaction.atomic():
            for obj in queryset:
                self._record_removal(request, obj)
            super().delete_queryset(request, queryset)


def _patient_accounts():
    """The ids, as the audit trail stores them, of the accounts people use to see their own records."""
    return get_user_model().objects.filter(role=Role.PATIENT).annotate(key=Cast("pk", CharField())).values("key")


def _failed_sign_ins_naming_patients():
    """The summaries of failed sign-ins that name a patient's or representative's account (people.signals
    writes "Failed sign-in as '<username>'", and their usernames are often their e-mail addresses)."""
    return (
        get_user_model()
        .objects.filter(role=Role.PATIENT)
        .annotate(said=Concat(Value("Failed sign-in as '"), "username", Value("'"), output_field=CharField()))
        .values("said")
    )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched but never changed.

    Administrators manage accounts, not care, so they see the events about accounts and the service only:
    no event about a person's record (those are shown to staff who may see that person, and to the PHB
    team lead's audit page), none done by a patient or representative, none about their accounts. Search
    is by who did it and the request id, never by the summary's text."""

    list_display = ["at", "actor_username", "actor_role", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "actor_role", "object_type"]
    search_fields = ["actor_username", "object_id", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(person_id__isnull=True)
            .exclude(actor_role=Role.PATIENT)
            .exclude(Q(object_type=get_user_model()._meta.label_lower) & Q(object_id__in=_patient_accounts()))
            .exclude(action=AuditAction.SIGN_IN_FAILED, summary__in=_failed_sign_ins_naming_patients())
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
