from django.urls import path

from twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.account, name="account"),
    path("second-factor/", views.verify, name="verify"),
    path("second-factor/recovery-code/", views.verify_recovery, name="verify_recovery"),
    path("second-factor/set-up/", views.enrol, name="enrol"),
    path("second-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("second-factor/recovery-codes/new/", views.new_recovery_codes, name="new_recovery_codes"),
    path("second-factor/remove/", views.remove, name="remove"),
    path("confirm-it-is-you/", views.reauth, name="reauth"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:pk>/reset-second-factor/", views.reset, name="reset"),
]
