"""Administrators manage accounts and care teams here. People's records are not
in the admin: they change only through the services, which audit every write."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from people.models import CareTeam, User
from phb import audit
from phb.models import AuditAction


class AuditedAdminMixin:
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = [name for name in form.changed_data if name not in {"password", "password1", "password2"}]
        audit.record(
            actor=request.user,
            action=AuditAction.UPDATE if change else AuditAction.CREATE,
            obj=obj,
            summary=f"{'Changed' if change else 'Added'} in admin: {', '.join(changed) or 'no fields'}",
            changes={name: [None, "(changed)"] for name in changed},
        )


@admin.register(User)
class PHBUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    fieldsets = UserAdmin.fieldsets + (("Role and teams", {"fields": ["role", "teams"]}),)
    add_fieldsets = UserAdmin.add_fieldsets + (("Role and teams", {"fields": ["role", "teams"]}),)
    filter_horizontal = ["teams", "groups", "user_permissions"]


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
