"""The QR code an authenticator app scans, drawn on the server as inline SVG (no script, no style)."""

import segno
from django.utils.safestring import SafeString, mark_safe


def qr_svg(data: str, *, title: str) -> SafeString:
    svg = segno.make(data, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff", title=title)
    # segno escapes the title; the rest is numbers. role and focusable so screen readers read the title.
    return mark_safe(svg.replace("<svg ", '<svg role="img" focusable="false" class="app-qr" ', 1))  # noqa: S308
