from django.urls import path

from accounts import cis2_views, views

app_name = "accounts"

urlpatterns = [
    path("sign-in/forgotten-password/", views.ForgottenPasswordView.as_view(), name="password_reset"),
    path("sign-in/forgotten-password/sent/", views.ForgottenPasswordSentView.as_view(), name="password_reset_done"),
    path("sign-in/new-password/<uidb64>/<token>/", views.NewPasswordView.as_view(), name="password_reset_confirm"),
    path("sign-in/new-password/done/", views.NewPasswordSetView.as_view(), name="password_reset_complete"),
    path("sign-in/cis2/", cis2_views.start, name="cis2"),
    path("sign-in/cis2/callback/", cis2_views.callback, name="cis2_callback"),
    path("sign-in/locked/", views.lockouts, name="lockouts"),
    path("sign-in/locked/<int:attempt_id>/unlock/", views.lockout_unlock, name="lockout_unlock"),
    path("session/stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
]
