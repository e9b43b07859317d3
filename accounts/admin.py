"""The CIS2 role mappings, which the service administrator edits: which CIS2 role or activity code gives which
role in this service (accounts.cis2). A change takes effect at the next page each member of staff opens
(accounts.cis2_middleware). The linked CIS2 accounts are shown, not edited: a link is made by signing in, and
removing one makes the next CIS2 sign-in find the account by its e-mail address again. Every change is audited
(phb.admin.AuditedAdminMixin)."""

from django import forms
from django.contrib import admin

from accounts.models import Cis2Identity, Cis2RoleMapping
from phb.admin import AuditedAdminMixin


class Cis2RoleMappingForm(forms.ModelForm):
    class Meta:
        model = Cis2RoleMapping
        fields = ["code", "kind", "role", "description"]

    def clean_code(self):
        # CIS2 writes its codes in capitals without spaces; a code typed otherwise still matches.
        code = "".join(self.cleaned_data["code"].split()).upper()
        if not code:
            raise forms.ValidationError("Enter the CIS2 code, for example R8000.")
        return code


@admin.register(Cis2RoleMapping)
class Cis2RoleMappingAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = Cis2RoleMappingForm
    list_display = ["code", "kind", "role", "description", "updated_at"]
    list_filter = ["kind", "role"]
    search_fields = ["code", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Cis2Identity)
class Cis2IdentityAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "subject", "linked_at", "last_signed_in_at"]
    search_fields = ["user__username", "user__email", "subject"]
    readonly_fields = ["user", "subject", "linked_at", "last_signed_in_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
