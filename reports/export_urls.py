"""The CSV exports' URLs (included by reports/urls.py)."""

urlpatterns = []
