"""Where everyone is and what needs doing: the work trays and the caseload with journey stages."""

from django.urls import path

from casework import views

app_name = "casework"

urlpatterns = [
    path("people/", views.caseload, name="caseload"),
    path("work/", views.home, name="home"),
]
