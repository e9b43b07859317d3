"""URLs of payments' money pages (gathered by payments/urls.py)."""

urlpatterns = []
