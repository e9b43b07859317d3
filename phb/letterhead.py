"""The ICB's letterhead: its name, logo and contact details, printed on every letter and on the plan.

Each letter's context builder (eligibility, budgets and careplans `letters.py`) adds `letterhead()` to its
context; templates/letters/_from.html prints it. The values come from settings (README, "Environment
variables"), so an ICB sets them once.
"""

from pathlib import Path

from django.conf import settings
from django.core import checks


def logo_path() -> Path | None:
    """The logo file among the static files (the only files a PDF may read), or None if it is not there."""
    from phb.pdf import static_roots  # here, so the start-up check does not load WeasyPrint

    name = settings.ORGANISATION_LOGO.lstrip("/")
    for root in static_roots():
        path = (root / name).resolve()
        if path.is_relative_to(root) and path.is_file():
            return path
    return None


def letterhead() -> dict:
    logo = logo_path()
    return {
        "organisation_name": settings.ORGANISATION_NAME,
        "organisation_phone": settings.ORGANISATION_PHONE,
        "organisation_email": settings.ORGANISATION_EMAIL,
        "organisation_address": settings.ORGANISATION_ADDRESS,
        # A file: address, which phb.pdf's fetcher serves because the file is among the static files.
        "organisation_logo": logo.as_uri() if logo else "",
    }


@checks.register()
def logo_is_a_static_file(app_configs, **kwargs):
    """Told at start-up rather than found later on a letter without its logo."""
    if logo_path() is None:
        return [
            checks.Warning(
                f"ORGANISATION_LOGO is {settings.ORGANISATION_LOGO!r}, which is not a file among the static files, "
                "so letters are printed without a logo.",
                hint="Put the logo in static/ and give its path inside static/, for example img/logo.svg.",
                id="phb.W001",
            )
        ]
    return []
