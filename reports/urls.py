from django.urls import path

from reports import export_urls, views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard_page, name="dashboard"),
    path("nhs-england-return/", views.return_page, name="return"),
    path("nhs-england-return.csv", views.return_download, name="return_csv"),
    path("nhs-england-return/submit/", views.return_submit, name="return_submit"),
    path("outcomes/", views.outcomes_page, name="outcomes"),
    path("outcomes.csv", views.outcomes_download, name="outcomes_csv"),
]

# The exports keep their own URLs.
urlpatterns += export_urls.urlpatterns
