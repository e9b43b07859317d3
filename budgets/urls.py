from django.urls import path

from budgets import views

app_name = "budgets"

urlpatterns = [
    path("people/<uuid:person_pk>/assess/", views.assessment_new, name="assessment_new"),
    path("assessments/<uuid:pk>/", views.assessment_detail, name="assessment"),
    path("assessments/<uuid:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<uuid:assessment_pk>/services/add/", views.service_add, name="service_add"),
    path("services/<uuid:pk>/edit/", views.service_edit, name="service_edit"),
    path("services/<uuid:pk>/remove/", views.service_remove, name="service_remove"),
    path("assessments/<uuid:assessment_pk>/budget/", views.budget_new, name="budget_new"),
    path("budgets/<uuid:pk>/", views.budget_detail, name="budget"),
    path("budgets/<uuid:pk>/sign-off/", views.budget_sign_off, name="sign_off"),
    path("budgets/<uuid:pk>/letter.pdf", views.budget_letter, name="letter"),
    path("budgets-to-sign-off/", views.sign_off_queue, name="sign_off_queue"),
    path("tariffs/", views.tariff_list, name="tariffs"),
    path("tariffs/new/", views.tariff_edit, name="tariff_new"),
    path("tariffs/<int:pk>/", views.tariff_edit, name="tariff_edit"),
]
