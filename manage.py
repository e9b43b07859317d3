#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "phb.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    # Django hides a settings error behind "Models aren't loaded yet"; say what to fix instead.
    try:
        settings.INSTALLED_APPS  # noqa: B018 (loads the settings)
    except ImproperlyConfigured as error:
        sys.exit(f"Settings problem: {error}\nSee README.md, 'Environment variables'.")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
