"""CSV files people save: the response that offers one, whole or a line at a time, and the writer that makes its
lines for a stream. Every cell a person could have typed goes through phb.audit.spreadsheet_safe first (the
callers' rows), so no cell is read as a formula."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

CSV_TYPE = "text/csv; charset=utf-8"


class _Echo:
    """A file that hands back what is written to it: csv.writer's line, for a streamed response."""

    def write(self, value):
        return value


def line_writer():
    """A csv.writer whose writerow returns the line it made (yield it into csv_download's stream)."""
    return csv.writer(_Echo())


def csv_download(body: str | Iterable[str], filename: str) -> HttpResponse | StreamingHttpResponse:
    """A CSV file to save under `filename`: the whole text, or its lines as they are made (streamed)."""
    if isinstance(body, str):
        response = HttpResponse(body, content_type=CSV_TYPE)
    else:
        response = StreamingHttpResponse(body, content_type=CSV_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
