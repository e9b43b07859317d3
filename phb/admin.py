from django.contrib import admin

from phb import audit
from phb.models import AuditAction, AuditEvent
from phb.roles import Role, has_role


def _admins_only(request) -> bool:
    # The admin is for administrators only; clinical staff flagged is_staff by
    # mistake still cannot reach it.
    return has_role(request.user, Role.ADMIN) and request.user.is_staff


admin.site.has_permission = _admins_only


class AuditedAdminMixin:
    """Admin saves write the audit trail too: which fields changed, before and after (never passwords)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name not in {"password", "password1", "password2"}]
        audit.record(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            summary=f"{'Changed' if change else 'Added'} in admin: {', '.join(changed) or 'no fields'}",
            changes={
                name: [audit.json_safe(form.initial.get(name)), audit.json_safe(form.cleaned_data.get(name))]
                for name in changed
            },
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched but never changed."""

    list_display = ["at", "actor_username", "actor_role", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "actor_role", "object_type"]
    search_fields = ["actor_username", "object_id", "summary", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def get_queryset(self, request):
        # Administrators manage accounts, not care: events about a person's record
        # are shown to staff who may see that person, on the record's history page.
        return super().get_queryset(request).filter(person_id__isnull=True)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
