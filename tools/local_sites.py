"""Serve folders of static websites on 127.0.0.1 — for the demo, the tests and the benchmarks.

One threaded ``http.server`` per site on an ephemeral port. ``{{port}}`` in served text
files is replaced by the real port (fixture pages can link to their own server by IP), an
optional ``_redirects`` file maps paths to redirects (``/from /to 302``), and extra
``routes`` (path → handler) let a test add special pages (huge, never-ending). Every
request path is recorded in ``LocalSite.requests`` so tests can assert what was fetched.
Research against these sites needs ``127.0.0.1`` (or ``localhost``) in the URL allow-list.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

RouteHandler = Callable[[BaseHTTPRequestHandler, "LocalSite"], None]
_TEXT_TYPES = ("text/", "application/javascript", "application/json", "application/xml")


@dataclass
class LocalSite:
    """A running local site."""

    root: Path | None
    host: str
    port: int
    requests: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` on this site."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def requested(self, path: str) -> bool:
        """True if any request was made for ``path`` (query ignored)."""
        return any(urlsplit(seen).path == path for seen in self.requests)


def _redirect_rules(root: Path | None) -> dict[str, tuple[str, int]]:
    rules: dict[str, tuple[str, int]] = {}
    if root is None or not (root / "_redirects").is_file():
        return rules
    for line in (root / "_redirects").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.lstrip().startswith("#"):
            rules[parts[0]] = (parts[1], int(parts[2]) if len(parts) > 2 else 302)
    return rules


def _make_handler(site: LocalSite, routes: Mapping[str, RouteHandler]) -> type[BaseHTTPRequestHandler]:
    redirects = _redirect_rules(site.root)

    class Handler(BaseHTTPRequestHandler):
        server_version = "outreach-local-site/1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _send(self, status: int, body: bytes, content_type: str, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _serve(self, *, head: bool) -> None:
            site.requests.append(self.path)
            path = unquote(urlsplit(self.path).path)
            if path in routes:
                routes[path](self, site)
                return
            if path in redirects:
                target, status = redirects[path]
                self.send_response(status)
                self.send_header("Location", target.replace("{{port}}", str(site.port)))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            file = self._resolve(path)
            if file is None:
                self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html", head)
                return
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            body = file.read_bytes()
            if content_type.startswith(_TEXT_TYPES):
                body = body.replace(b"{{port}}", str(site.port).encode())
                content_type += "; charset=utf-8"
            self._send(200, body, content_type, head)

        def _resolve(self, path: str) -> Path | None:
            if site.root is None or ".." in path.split("/"):
                return None
            candidate = (site.root / path.lstrip("/")).resolve()
            if candidate.is_dir():
                candidate = candidate / "index.html"
            root = site.root.resolve()
            if not candidate.is_file() or root not in candidate.parents or candidate.name == "_redirects":
                return None
            return candidate

    return Handler


@contextmanager
def serve_site(
    root: Path | None,
    *,
    routes: Mapping[str, RouteHandler] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[LocalSite]:
    """Serve ``root`` (a folder with ``index.html``) until the block ends."""
    site = LocalSite(root=root, host=host, port=0)
    server = ThreadingHTTPServer((host, 0), _make_handler(site, routes or {}))
    server.daemon_threads = True
    server.block_on_close = False
    site.port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"local-site-{site.port}", daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        site.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
