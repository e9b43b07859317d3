"""URLs of the portal's money pages (gathered by portal/urls.py)."""

from django.urls import path

from portal import money_views

urlpatterns = [
    path("my/<uuid:pk>/money/", money_views.money, name="money"),
]
