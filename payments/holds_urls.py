"""URLs of payments' holds pages (gathered by payments/urls.py)."""

urlpatterns = []
