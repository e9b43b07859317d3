from django.urls import path

from people import audit_views

app_name = "audit"

urlpatterns = [
    path("", audit_views.trail_page, name="trail"),
    path("export.csv", audit_views.trail_export, name="export"),
    path("mine/", audit_views.my_activity, name="mine"),
]
