"""Administrators manage staff accounts and care teams here. People's records are not in the admin: they
change only through the services, which audit every write. Nor are the accounts people and their
representatives use to see their own records: those are made by invitations and stopped from the person's
page, and their names and e-mail addresses are people's data, which administrators do not see."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db import transaction

from people.models import CareTeam, User
from phb import audit
from phb.admin import AuditedAdminMixin
from phb.models import AuditAction
from phb.roles import Role


@admin.register(User)
class PHBUserAdmin(AuditedAdminMixin, UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "teams"]
    fieldsets = UserAdmin.fieldsets + (("Role and teams", {"fields": ["role", "teams"]}),)
    # Everyone signs in with their e-mail address, so an account is made with one.
    add_fieldsets = UserAdmin.add_fieldsets + (
        ("Email address, role and teams", {"fields": ["email", "role", "teams"]}),
    )
    filter_horizontal = ["teams", "groups", "user_permissions"]

    def get_queryset(self, request):
        # Every admin page (the list, search, change, password, delete) finds staff accounts only.
        return super().get_queryset(request).exclude(role=Role.PATIENT)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [(value, label) for value, label in Role.choices if value != Role.PATIENT]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def user_change_password(self, request, id, form_url=""):
        """Django's own page, with the change audited in the same transaction: the stored password is
        compared before and after, so whatever path the page takes, a changed password is recorded."""
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    audit.record(
                        actor=request.user,
                        action=AuditAction.CHANGE_PASSWORD,
                        obj=user,
                        summary=f"Changed the password of {user.get_username()} in admin",
                    )
        return response


@admin.register(CareTeam)
class CareTeamAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
