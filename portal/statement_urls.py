"""URLs of the portal's statement pages (gathered by portal/urls.py)."""

from django.urls import path

from portal import statement_views as views

urlpatterns = [
    path("my/<uuid:pk>/money/statements/", views.statements_view, name="statements"),
    path("my/<uuid:pk>/money/statements/add/", views.statement_add, name="statement_add"),
    path("my/<uuid:pk>/money/statements/add/columns/", views.statement_columns, name="statement_columns"),
    path("my/<uuid:pk>/money/receipts/add/", views.receipt_add, name="receipt_add"),
    path("my/<uuid:pk>/money/receipts/<uuid:receipt_pk>/", views.receipt, name="receipt"),
]
