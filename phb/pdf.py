"""PDFs: a template and a context in, bytes out. Builders of context live with their app."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from weasyprint import HTML


def render_pdf(template_name: str, context: dict) -> bytes:
    html = render_to_string(template_name, context)
    # Letters carry their own CSS inline and use no remote resources.
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_attachment(content: bytes, *parts) -> HttpResponse:
    """A PDF download named from its parts ("support-plan", a family name, "v2"): each part slugged, so a
    line break, quote or slash in a name cannot break the header or the file name; a name in another
    script keeps its letters through RFC 6266's filename* (Django's content_disposition_header)."""
    words = [slugify(str(part), allow_unicode=True) for part in parts]
    name = "-".join(word for word in words if word) or "document"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{name}.pdf")
    return response
