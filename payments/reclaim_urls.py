"""URLs of payments' reclaim pages (gathered by payments/urls.py)."""

urlpatterns = []
