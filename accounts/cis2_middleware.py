"""A change to the CIS2 role mappings takes effect at the next page each member of staff opens.

For a session signed in through CIS2 only (accounts.cis2.SESSION_KEY), every request maps the session's CIS2 roles
again, in one query (none for any other session):
- they map to the account's role: nothing changes;
- they map to another role: the account takes it (accounts.cis2.role_follow_mapping, audited), and this page is
  shown with it;
- they map to no role here, or to more than one, or CIS2 has been switched off: the session ends (audited as a
  refused access) and the refusal page says why.

In settings.MIDDLEWARE after SessionTimeoutMiddleware (a session that has timed out is signed out as that, with
nothing to map), after the CSP and X-Frame-Options middleware (so the refusal page answered here carries every
security header), and before AxesMiddleware, which is last.
"""

from django.contrib.auth.models import AnonymousUser

from accounts import cis2, oidc_pages
from accounts.signin import cis2_on


class Cis2RolesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        roles = cis2.session_roles(request.session, request.user)
        if roles is not None:
            refusal = self._check(request, request.user, roles)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    @staticmethod
    def _check(request, user, roles):
        message = cis2.NOT_MAPPED
        if not cis2_on():
            reason, message = "CIS2 is switched off here", cis2.SIGN_IN_AGAIN
        else:
            try:
                role = cis2.role_for(roles)
            except cis2.NotMapped as refused:
                reason, message = refused.reason, str(refused)
            else:
                cis2.role_follow_mapping(user=user, role=role, keep_session_key=request.session.session_key)
                return None
        cis2.access_ended(user=user, reason=reason)
        request.session.flush()
        request.user = AnonymousUser()
        return oidc_pages.problem(request, message, who_helps=cis2.WHO_HELPS, status=403)
