"""URLs of payments' reclaim pages (gathered by payments/urls.py): repayments and stopping direct payments."""

from django.urls import path

from payments import reclaim_views as views

urlpatterns = [
    path("plans/<uuid:plan_id>/reclaims/", views.reclaims_list, name="reclaims"),
    path("plans/<uuid:plan_id>/reclaims/repayment/", views.reclaim_new, name="reclaim_new"),
    path("plans/<uuid:plan_id>/reclaims/stop/", views.stop_new, name="stop_new"),
    path("reclaims/<uuid:pk>/", views.reclaim_detail, name="reclaim"),
    path("reclaims/<uuid:pk>/response/", views.reclaim_response, name="reclaim_response"),
    path("reclaims/<uuid:pk>/decide/", views.reclaim_decide, name="reclaim_decide"),
    path("reclaims/<uuid:pk>/withdraw/", views.reclaim_withdraw, name="reclaim_withdraw"),
    path("reclaims/<uuid:pk>/letter.pdf", views.reclaim_letter, name="reclaim_letter"),
    path("reclaims/<uuid:pk>/decision-letter.pdf", views.reclaim_decision_letter, name="reclaim_decision_letter"),
]
