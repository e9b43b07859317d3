"""Sessions stored with the signed-in user's id beside them.

Django's own session table keeps the user id inside the encoded data, so ending one user's sessions
means decoding every session there is. This table has the id in an indexed column: deactivating a
user, changing their role or resetting their password ends their sessions with one DELETE.
"""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta(AbstractBaseSession.Meta):
        verbose_name = "session"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
