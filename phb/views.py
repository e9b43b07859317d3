"""Pages that belong to no single step: home, the patient landing page, health."""

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from phb.roles import Role, has_role, is_clinical_staff


@require_GET
def home(request):
    """Sends each role to where its work starts."""
    user = request.user
    if is_clinical_staff(user):
        return redirect("casework:home")  # their work tray
    if has_role(user, Role.PATIENT):
        return redirect("portal:home")
    if has_role(user, Role.ADMIN) and user.is_staff:
        return redirect("admin:index")
    return render(request, "403.html", status=403)


def _database_answers() -> bool:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _redis_answers() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except (redis.RedisError, OSError, ValueError):
        return False


@login_not_required
@never_cache
@require_GET
def health(request):
    """For load balancers and monitoring: 503 when the database does not answer.

    Redis only carries reminders, so the site still serves pages without it;
    it is reported, not fatal.
    """
    database = _database_answers()
    redis_ok = _redis_answers()
    body = {
        "status": "ok" if database else "unavailable",
        "database": "ok" if database else "unavailable",
        "redis": "ok" if redis_ok else "unavailable",
    }
    return JsonResponse(body, status=200 if database else 503)
