"""URLs of payments' statement pages (gathered by payments/urls.py)."""

from django.urls import path

from payments import statement_views as views

urlpatterns = [
    path("plans/<uuid:plan_id>/statements/", views.plan_statements, name="statements"),
    path("plans/<uuid:plan_id>/statements/add/", views.statement_add, name="statement_add"),
    path("plans/<uuid:plan_id>/statements/add/columns/", views.statement_columns, name="statement_columns"),
    path("plans/<uuid:plan_id>/statements/typed/", views.transaction_add, name="transaction_add"),
    path("transactions/<uuid:pk>/match/", views.transaction_match, name="transaction_match"),
    path("receipts/<uuid:pk>/", views.receipt_download, name="receipt"),
]
