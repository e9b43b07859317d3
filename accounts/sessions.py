"""The session engine (SESSION_ENGINE = "accounts.sessions"): Django's database store, writing
accounts.UserSession rows that carry the signed-in user's id."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


def user_id_from(data: dict) -> int | None:
    value = str(data.get(SESSION_KEY) or "")
    return int(value) if value.isdigit() else None


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        instance.user_id = user_id_from(data)
        return instance
