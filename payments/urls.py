from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/confirm/", views.run_confirm, name="confirm"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="cancel"),
    path("runs/<int:pk>/ledger.csv", views.run_ledger, name="ledger"),
    path("plans/<uuid:plan_id>/", views.plan_schedule, name="schedule"),
]
