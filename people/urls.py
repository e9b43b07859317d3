from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("add/", views.person_add, name="add"),
    path("<uuid:pk>/", views.person_detail, name="detail"),
    path("<uuid:pk>/edit/", views.person_edit, name="edit"),
    path("<uuid:pk>/history/", views.person_history, name="history"),
]
