"""PDFs: a template and a context in, bytes out. Builders of context live with their app.

WeasyPrint would fetch whatever a document names: a local file, an internal web address. Every letter
escapes what people typed, but one `|safe` in a template would let a name like
`<img src="file:///etc/passwd">` read a file into a PDF. So every PDF is made with StaticFilesOnly, a
fetcher that serves the project's own static files and refuses everything else.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A data: URL (an image written into the page) larger than this is refused.
MAX_DATA_URL = 1024 * 1024


class RefusedFetch(ValueError):
    """A document asked for something other than the project's static files. WeasyPrint logs it and
    leaves the resource out; the rest of the document is made as usual."""


def static_roots() -> list[Path]:
    """The folders a document may read from: the project's static files, as found and as collected."""
    roots = [Path(folder) for folder in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


class StaticFilesOnly(URLFetcher):
    """Serves file: URLs inside the static folders (after resolving links and '..') and data: URLs up to
    1 MB; refuses everything else (other files, http:, https:, ftp: and any other scheme) without
    opening anything."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            if len(url) > MAX_DATA_URL:
                raise RefusedFetch("A data: URL larger than 1 MB is not fetched")
            return super().fetch(url, headers)
        if scheme == "file":
            return self._static_file(url)
        raise RefusedFetch(f"Only the service's own static files are fetched, not {scheme or 'this'}: URLs")

    def _static_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedFetch("A file on another machine is not fetched")
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in static_roots()) or not path.is_file():
            raise RefusedFetch("Only the service's own static files are fetched")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": content_type})


def html_to_pdf(html: str) -> bytes:
    """The PDF of a page of HTML. Relative addresses are read from the static folder."""
    base_url = (Path(settings.BASE_DIR) / "static").as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticFilesOnly()).write_pdf()


def render_pdf(template_name: str, context: dict) -> bytes:
    # Letters carry their own CSS inline and use no remote resources.
    return html_to_pdf(render_to_string(template_name, context))


def pdf_attachment(content: bytes, *parts) -> HttpResponse:
    """A PDF download named from its parts ("support-plan", a family name, "v2"): each part slugged, so a
    line break, quote or slash in a name cannot break the header or the file name; a name in another
    script keeps its letters through RFC 6266's filename* (Django's content_disposition_header)."""
    words = [slugify(str(part), allow_unicode=True) for part in parts]
    name = "-".join(word for word in words if word) or "document"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=f"{name}.pdf")
    return response
