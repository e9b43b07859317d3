"""URLs of the portal's money pages (gathered by portal/urls.py)."""

urlpatterns = []
