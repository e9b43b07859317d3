from django.urls import path

from portal import money_urls, nhs_login_views, statement_urls, views

app_name = "portal"

urlpatterns = [
    path("my/", views.portal_home, name="home"),
    path("my/invitation/<str:token>/", views.accept_invitation, name="accept"),
    path("my/invitation/<str:token>/nhs-login/", nhs_login_views.start_with_invitation, name="accept_nhs_login"),
    path("my/nhs-login/", nhs_login_views.start, name="nhs_login"),
    path("my/nhs-login/callback/", nhs_login_views.callback, name="nhs_login_callback"),
    path("my/<uuid:pk>/", views.person_home, name="person"),
    path("my/<uuid:pk>/plan/", views.plan_view, name="plan"),
    path("my/<uuid:pk>/plan/<uuid:version_pk>/", views.plan_view, name="plan_version"),
    path("my/<uuid:pk>/plan/<uuid:version_pk>/plan.pdf", views.plan_pdf, name="plan_pdf"),
    path("my/<uuid:pk>/reviews/", views.reviews_view, name="reviews"),
    path("my/<uuid:pk>/documents/", views.documents, name="documents"),
    path("my/<uuid:pk>/letters/<uuid:letter_pk>.pdf", views.letter, name="letter"),
    path("my/<uuid:pk>/screenings/<uuid:screening_pk>/letter.pdf", views.screening_letter, name="screening_letter"),
    path("my/<uuid:pk>/budgets/<uuid:budget_pk>/letter.pdf", views.budget_letter, name="budget_letter"),
    path("my/<uuid:pk>/messages/", views.messages_view, name="messages"),
    path("people/<uuid:person_pk>/invite/", views.invite, name="invite"),
    path("online-access/<int:access_pk>/revoke/", views.revoke, name="revoke"),
    path("invitations/<uuid:invitation_pk>/cancel/", views.cancel_invitation, name="cancel_invitation"),
    path("invitations/<uuid:invitation_pk>/send-again/", views.resend_invitation, name="resend_invitation"),
    path("people/<uuid:person_pk>/messages/", views.staff_messages, name="staff_messages"),
    path("people/<uuid:person_pk>/messages/reply/", views.reply, name="reply"),
]

# The money in use, as the person sees it.
urlpatterns += money_urls.urlpatterns + statement_urls.urlpatterns
