from django.urls import path

from payments import holds_urls, money_urls, reclaim_urls, statement_urls, views

app_name = "payments"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/confirm/", views.run_confirm, name="confirm"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="cancel"),
    path("runs/<int:pk>/ledger.csv", views.run_ledger, name="ledger"),
    path("plans/<uuid:plan_id>/", views.plan_schedule, name="schedule"),
]

# Each part of the money in use keeps its own pages' URLs.
urlpatterns += statement_urls.urlpatterns + money_urls.urlpatterns + reclaim_urls.urlpatterns + holds_urls.urlpatterns
