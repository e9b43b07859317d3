from django.urls import path

from eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("people/<uuid:person_pk>/screen/", views.screening_new, name="new"),
    path("screenings/<uuid:pk>/", views.screening_detail, name="detail"),
    path("screenings/<uuid:pk>/letter.pdf", views.screening_letter, name="letter"),
    path("screenings/<uuid:pk>/decide/", views.screening_decide, name="decide"),
    path("referrals/", views.decision_queue, name="queue"),
]
