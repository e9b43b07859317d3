"""Administrators manage accounts and care teams here. People's records are not
in the admin: they change only through the services, which audit every write."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from people.models import CareTeam, User
from phb.admin import AuditedAdminMixin


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
