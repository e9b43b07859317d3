"""Signing in, and loading the signed-in user on every request with their care teams in the same query.

Every coordinator page asks which care teams the user is in (people.access.team_ids); loading them
with the user saves that query on every request. The ids are read fresh from the membership table
each time, never cached between requests, so a coordinator taken off a team loses its people at once.
"""

from django.contrib.auth.backends import ModelBackend, UserModel

from phb.db import IdList, ids_from


def team_ids_from(value: str | None) -> list[int]:
    return sorted(int(part) for part in ids_from(value))


class UserWithTeamsBackend(ModelBackend):
    def get_user(self, user_id):
        user = UserModel._default_manager.filter(pk=user_id).annotate(team_id_list=IdList("teams__id")).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        user._phb_team_ids = team_ids_from(user.team_id_list)
        return user
