from django.urls import path

from careplans import outbox_views, review_views, views

app_name = "careplans"

urlpatterns = [
    path("people/<uuid:person_pk>/plan/", views.plan_new, name="new"),
    path("plan-versions/<uuid:pk>/", views.version_detail, name="version"),
    path("plan-versions/<uuid:pk>/edit/", views.version_edit, name="edit"),
    path("plan-versions/<uuid:pk>/check/", views.version_check, name="check"),
    path("plan-versions/<uuid:pk>/confirmation/", views.version_confirmation, name="confirmation"),
    path("plan-versions/<uuid:pk>/submit/", views.version_submit, name="submit"),
    path("plan-versions/<uuid:pk>/plan.pdf", views.version_pdf, name="pdf"),
    path("plan-versions/<uuid:pk>/plan.fhir.json", views.version_fhir, name="fhir"),
    path("plan-versions/<uuid:version_pk>/outcomes/add/", views.outcome_edit, name="outcome_add"),
    path("outcomes/<uuid:pk>/", views.outcome_edit, name="outcome_edit"),
    path("plan-versions/<uuid:version_pk>/items/add/", views.item_edit, name="item_add"),
    path("items/<uuid:pk>/", views.item_edit, name="item_edit"),
    path("outcomes/<uuid:pk>/remove/", views.row_remove, {"kind": "outcome"}, name="outcome_remove"),
    path("items/<uuid:pk>/remove/", views.row_remove, {"kind": "item"}, name="item_remove"),
    path("plans/<uuid:pk>/new-version/", views.plan_amend, name="amend"),
    path("plans/<uuid:pk>/compare/", views.plan_compare, name="compare"),
    path("plans-to-decide/", views.decision_queue, name="queue"),
    path("plan-versions/<uuid:pk>/assign/", views.plan_assign, name="assign"),
    path("plan-versions/<uuid:pk>/decide/", views.plan_decide, name="decide"),
    path("plan-versions/<uuid:pk>/end/", views.plan_end, name="end"),
    path("endings-to-confirm/", views.endings_to_confirm, name="endings"),
    path("endings-to-confirm/<uuid:pk>/", views.ending_decide, name="ending_decide"),
    path("letters/<uuid:pk>.pdf", views.letter_download, name="letter"),
    path("reviews/", views.reviews_due, name="reviews_due"),
    path("reviews/<uuid:pk>/", review_views.review_detail, name="review"),
    path("reviews/<uuid:pk>/record/", views.review_record, name="review_record"),
    path("plans/<uuid:pk>/reviews/", review_views.plan_reviews, name="plan_reviews"),
    path("plans/<uuid:pk>/request-review/", views.review_request, name="review_request"),
    path("messages-not-sent/", outbox_views.failed_messages, name="failed_messages"),
    path("messages-not-sent/<str:kind>/<int:pk>/try-again/", outbox_views.message_retry, name="message_retry"),
]
