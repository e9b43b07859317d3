from reports import export_urls

app_name = "reports"

urlpatterns = []

# The exports keep their own URLs.
urlpatterns += export_urls.urlpatterns
