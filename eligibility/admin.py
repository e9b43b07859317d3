"""Administrators maintain the IPC cohorts: add, rename, retire. Screenings are not edited here."""

from django.contrib import admin

from eligibility.models import IPCCohort
from phb.admin import AuditedAdminMixin


@admin.register(IPCCohort)
class IPCCohortAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "needs_decision", "retired_on", "position"]
    list_editable = ["position"]
    list_filter = ["needs_decision", "retired_on"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request, obj=None):
        # The code identifies the cohort in reports and past screenings.
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        # Past screenings name their cohorts: retire a cohort instead.
        return False
