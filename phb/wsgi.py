import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phb.settings")
application = get_wsgi_application()

# What a worker loads at start (Django, the apps, the URLconf: about 175,000 objects) lives as long as the worker.
# Frozen, Python's garbage collector no longer walks all of it at every full collection: a pause that fell on about
# one request in fifty of a list page (1.75 ms a request on average in process, 0.33 frozen). The URLconf is loaded
# here rather than on the first request so that it is frozen too (and a fault in it stops the worker at start).
get_resolver().url_patterns  # noqa: B018 (loads it)
gc.collect()
gc.freeze()
