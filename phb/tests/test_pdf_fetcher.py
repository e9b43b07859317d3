"""The PDF fetcher serves the project's own static files and refuses everything else, even when a document
names them in raw HTML (as one `|safe` in a letter template would let a person's name do)."""

import base64
import io
import socket
import threading

import pytest
from django.conf import settings
from pypdf import PdfReader

from phb.pdf import MAX_DATA_URL, RefusedFetch, StaticFilesOnly, html_to_pdf

STATIC_CSS = settings.BASE_DIR / "static" / "css" / "app.css"
# A 1×1 transparent GIF.
PIXEL = base64.b64encode(
    bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")
)


class Listener:
    """A real socket on 127.0.0.1 that records every connection made to it (and answers nothing)."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while self.running:
            try:
                connection, peer = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(peer)
            connection.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=2)
        self.socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def test_the_listener_does_record_a_connection(listener):
    """The proof below rests on the listener noticing a fetch: it does."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=2):
        pass
    listener.thread.join(timeout=0.5)
    assert len(listener.connections) == 1


def hostile_urls(port: int) -> list[str]:
    outside = settings.BASE_DIR / "phb" / "settings.py"
    return [
        "file:///etc/passwd",
        f"file://{outside}",
        "file:///work/../etc/passwd",
        f"{(settings.BASE_DIR / 'static').as_uri()}/../phb/settings.py",  # climbs out of static
        "file://other-machine/etc/passwd",
        f"http://127.0.0.1:{port}/",
        f"https://127.0.0.1:{port}/",
        f"ftp://127.0.0.1:{port}/",
        f"gopher://127.0.0.1:{port}/",
        "data:text/plain;base64," + "A" * (MAX_DATA_URL + 1),
    ]


def test_the_fetcher_refuses_everything_but_static_files(listener):
    fetcher = StaticFilesOnly()
    for url in hostile_urls(listener.port):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    assert listener.connections == []


def test_the_fetcher_serves_a_static_file_and_a_small_data_url():
    fetcher = StaticFilesOnly()
    response = fetcher.fetch(STATIC_CSS.as_uri())
    assert response.read() == STATIC_CSS.read_bytes()
    assert response.content_type == "text/css"
    small = fetcher.fetch("data:image/gif;base64," + PIXEL.decode())
    assert small.read().startswith(b"GIF89a")


def test_raw_hostile_html_in_a_pdf_fetches_nothing_and_embeds_nothing(listener, caplog):
    port = listener.port
    html = f"""<!DOCTYPE html><html><head>
    <style>@import url(http://127.0.0.1:{port}/import.css);</style>
    <link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
    <link rel="attachment" href="file:///etc/passwd">
    <link rel="attachment" href="file://{settings.BASE_DIR / "phb" / "settings.py"}">
    </head><body>
    <p>Before</p>
    <img src="file:///etc/passwd" alt="">
    <img src="http://127.0.0.1:{port}/image.png" alt="">
    <img src="../phb/settings.py" alt="">
    <div style="background: url(http://127.0.0.1:{port}/background.png)">Behind</div>
    <a rel="attachment" href="file:///etc/passwd">Attached</a>
    <p>After</p>
    </body></html>"""
    pdf = PdfReader(io.BytesIO(html_to_pdf(html)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert "Before" in text and "After" in text  # the rest of the document is made as usual
    assert "root:" not in text
    assert listener.connections == []
    assert pdf.attachments == {}
    assert all(not page.images for page in pdf.pages)


def test_a_static_file_can_still_be_attached_and_drawn():
    """The fetcher is not simply refusing everything: the project's own files come through."""
    html = f"""<html><head><link rel="attachment" href="css/app.css"></head>
    <body><img src="data:image/gif;base64,{PIXEL.decode()}" alt="" style="width: 10mm"></body></html>"""
    pdf = PdfReader(io.BytesIO(html_to_pdf(html)))
    assert list(pdf.attachments) == ["app.css"]
    assert pdf.pages[0].images
