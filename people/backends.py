"""Signing in, and loading the signed-in user on every request with their care teams in the same query.

Every coordinator page asks which care teams the user is in (people.access.team_ids); loading them
with the user saves that query on every request. The ids are read fresh from the membership table
each time, never cached between requests, so a coordinator taken off a team loses its people at once.
"""

from django.contrib.auth.backends import ModelBackend, UserModel
from django.db.models import Aggregate, CharField


class TeamIds(Aggregate):
    """The user's care team ids as "3,7,12" (STRING_AGG on PostgreSQL, GROUP_CONCAT on SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s::text, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", template="%(function)s(%(expressions)s)")


def team_ids_from(value: str | None) -> list[int]:
    return sorted(int(part) for part in (value or "").split(",") if part)


class UserWithTeamsBackend(ModelBackend):
    def get_user(self, user_id):
        user = UserModel._default_manager.filter(pk=user_id).annotate(team_id_list=TeamIds("teams__id")).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        user._phb_team_ids = team_ids_from(user.team_id_list)
        return user
