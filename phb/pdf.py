"""PDFs: a template and a context in, bytes out. Builders of context live with their app."""

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML


def render_pdf(template_name: str, context: dict) -> bytes:
    html = render_to_string(template_name, context)
    # Letters carry their own CSS inline and use no remote resources.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
