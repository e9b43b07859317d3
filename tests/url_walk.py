"""Every URL pattern of the site, for the tests that must cover each one (sign-in required, the page
query bounds, the access matrix, hostile input, the second factor): one walk, so they all see the same list."""

from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_PREFIX = "admin/"


def url_patterns(patterns=None, prefix="", namespace=None):
    """(route, name, view) for every URL pattern of the current urlconf, names with their namespace
    ("people:detail"; None for a pattern without a name)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(filter(None, [namespace, pattern.name])) if pattern.name else None
            yield prefix + str(pattern.pattern), name, pattern.callback


def site_patterns() -> list[tuple[str, str | None]]:
    """(route, name) for every pattern but the Django admin's."""
    return [(route, name) for route, name, _ in url_patterns() if not route.startswith(ADMIN_PREFIX)]


def admin_patterns() -> list[tuple[str, str | None]]:
    return [(route, name) for route, name, _ in url_patterns() if route.startswith(ADMIN_PREFIX)]
