"""The WSGI entry point gunicorn loads (phb.wsgi)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LOADED = """
import gc
import phb.wsgi
from django.urls import get_resolver
print(gc.get_freeze_count(), "url_patterns" in vars(get_resolver()))
"""


def test_a_worker_freezes_what_it_loads_at_start_so_full_collections_skip_it():
    # In a fresh process, as gunicorn loads it: the apps and the URLconf are loaded and then frozen, so Python's
    # garbage collector walks only what requests make (a full collection over all of it paused a request).
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "phb.settings"}
    done = subprocess.run(
        [sys.executable, "-c", LOADED], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, urls_loaded = done.stdout.split()
    assert int(frozen) > 100_000
    assert urls_loaded == "True"
