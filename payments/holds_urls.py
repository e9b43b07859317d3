"""URLs of payments' holds pages (gathered by payments/urls.py): holding and resuming a plan's payments, and
recording a provider's invoice against notional money."""

from django.urls import path

from payments import holds_views

urlpatterns = [
    path("plans/<uuid:plan_id>/hold/", holds_views.hold, name="hold"),
    path("holds/<uuid:pk>/resume/", holds_views.resume, name="resume"),
    path("plans/<uuid:plan_id>/invoices/new/", holds_views.invoice, name="invoice"),
]
