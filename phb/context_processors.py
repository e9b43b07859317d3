from django.conf import settings

from phb.roles import Role, is_clinical_staff, is_phb_team


def service(request):
    user = getattr(request, "user", None)
    return {
        "service_name": settings.SERVICE_NAME,
        "organisation_name": settings.ORGANISATION_NAME,
        "user_is_clinical_staff": is_clinical_staff(user),
        "user_is_phb_team": is_phb_team(user),
        # Templates compare roles with these, never with the role's name written out.
        "roles": Role,
    }
