"""URLs of payments' statement pages (gathered by payments/urls.py)."""

urlpatterns = []
