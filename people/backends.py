"""Signing in with an e-mail address, and loading the signed-in user on every request with their care
teams in the same query.

People sign in with the e-mail address they were invited by; usernames stay an internal detail. The
address is matched in any case, and is unique in any case (a constraint on the user table).

Every coordinator page asks which care teams the user is in (people.access.team_ids); loading them
with the user saves that query on every request. The ids are read fresh from the membership table
each time, never cached between requests, so a coordinator taken off a team loses its people at once.
"""

from django.contrib.auth.backends import ModelBackend, UserModel

from accounts import signin
from phb import prepared
from phb.db import IdList, ids_from


def team_ids_from(value: str | None) -> list[int]:
    return sorted(int(part) for part in ids_from(value))


# What pages need of the signed-in user besides their teams, read in the same query: apps above people add a
# function here when Django starts that takes the user's id and returns annotations over the user's row, or
# nothing when it needs nothing this time (casework: the counts beside the header's links, when not kept).
USER_ANNOTATIONS: list = []
# And what they do with the user once loaded, whatever the page (casework: keep the counts just read, so a
# redirect or a download, which shows none, still spares the next request working them out).
USER_LOADED: list = []


class UserWithTeamsBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        address = str(username or kwargs.get("email") or "").strip()
        if not address or password is None:
            return None
        user = UserModel._default_manager.filter(email__iexact=address).first()
        if user is None:
            # Hash anyway, so a missing account takes as long to refuse as a wrong password.
            UserModel().set_password(password)
            return None
        if not signin.password_allowed(user):
            # Signs in with NHS login or CIS2 here (accounts.signin): refused like a wrong password, as slowly.
            UserModel().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        extra = {name: value for annotations in USER_ANNOTATIONS for name, value in annotations(user_id).items()}
        if extra:
            user = _with_teams(user_id, extra).first()
        else:  # most requests: the query compiled once a process (building it through the ORM cost 1 ms a request)
            user = next(iter(_compiled_with_teams().objects({_STAND_IN: user_id}, prepare=False)), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        user._phb_team_ids = team_ids_from(user.team_id_list)
        for loaded in USER_LOADED:
            loaded(user)
        return user


# An id no user has, which the compiled query's parameter swaps for the signed-in user's.
_STAND_IN = -7_340_002


def _with_teams(user_id, extra: dict):
    return UserModel._default_manager.filter(pk=user_id).annotate(team_id_list=IdList("teams__id"), **extra)


def _compiled_with_teams() -> prepared.Compiled:
    """The user and their care teams' query, compiled once a process. Sent plain, not prepared: a query by primary
    key plans in no time, and a prepared one would add its SET and RESET to every page's queries."""
    return prepared.compiled(
        "user-with-teams", lambda: {"user": _with_teams(_STAND_IN, {})[:1]}, stand_ins={_STAND_IN}
    )["user"]
