"""URLs of payments' money pages (gathered by payments/urls.py)."""

from django.urls import path

from payments import money_views

urlpatterns = [
    path("plans/<uuid:plan_id>/money/", money_views.plan_money, name="money"),
]
