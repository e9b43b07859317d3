from django.urls import path

from twofactor import passkeys, views

app_name = "twofactor"

urlpatterns = [
    path("", views.account, name="account"),
    path("second-factor/", views.verify, name="verify"),
    path("second-factor/recovery-code/", views.verify_recovery, name="verify_recovery"),
    path("second-factor/set-up/", views.enrol, name="enrol"),
    path("second-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("second-factor/recovery-codes/new/", views.new_recovery_codes, name="new_recovery_codes"),
    path("second-factor/remove/", views.remove, name="remove"),
    path("passkeys/add/", views.passkey_add, name="passkey_add"),
    path("passkeys/add/begin/", passkeys.add_begin, name="passkey_add_begin"),
    path("passkeys/add/complete/", passkeys.add_complete, name="passkey_add_complete"),
    path("passkeys/<int:pk>/remove/", views.passkey_remove, name="passkey_remove"),
    path("second-factor/passkey/begin/", passkeys.verify_begin, name="passkey_verify_begin"),
    path("second-factor/passkey/complete/", passkeys.verify_complete, name="passkey_verify_complete"),
    path("confirm-it-is-you/", views.reauth, name="reauth"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:pk>/reset-second-factor/", views.reset, name="reset"),
]
