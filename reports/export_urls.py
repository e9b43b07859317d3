"""The CSV exports' URLs (included by reports/urls.py)."""

from django.urls import path

from reports import export_views

urlpatterns = [
    path("exports/caseload.csv", export_views.caseload, name="export_caseload"),
    path("exports/plans-to-decide.csv", export_views.plans, name="export_plans"),
    path("exports/reviews-due.csv", export_views.reviews, name="export_reviews"),
]
