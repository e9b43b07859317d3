"""URLs of the portal's statement pages (gathered by portal/urls.py)."""

urlpatterns = []
