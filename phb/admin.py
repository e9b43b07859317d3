from django.contrib import admin

from phb.models import AuditEvent
from phb.roles import Role, has_role


def _admins_only(request) -> bool:
    # The admin is for administrators only; clinical staff flagged is_staff by
    # mistake still cannot reach it.
    return has_role(request.user, Role.ADMIN) and request.user.is_staff


admin.site.has_permission = _admins_only


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail can be searched but never changed."""

    list_display = ["at", "actor_username", "actor_role", "action", "object_type", "object_id", "summary"]
    list_filter = ["action", "actor_role", "object_type"]
    search_fields = ["actor_username", "object_id", "summary", "request_id"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
