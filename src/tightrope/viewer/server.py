"""The viewer's HTTP server: stdlib `http.server`, read-only, loopback by default.

Routes: `/` the runs, `/run/RUN_ID` a run's report page, `/api/runs` and `/api/run/RUN_ID` the
JSON report. Only GET and HEAD are answered; every other method gets 405. When bound to a
loopback address, requests naming another host are refused (DNS-rebinding guard). The store is
opened per request, so new runs show up on reload; finished runs are cached.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tightrope.errors import InputError
from tightrope.report.html import render_html, report_csp
from tightrope.report.json_report import report_json
from tightrope.report.loader import LoadedRun, load_from, store_path
from tightrope.store import Store
from tightrope.viewer.pages import INDEX_CSP, index_html, not_found_html

RUN_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
NAV = '<nav class="crumbs"><a href="/">← all runs</a></nav>'


class RunCache:
    """Loads runs from the store; keeps finished runs, which never change, in memory."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._finished: dict[str, LoadedRun] = {}
        self._lock = threading.Lock()

    def _load(self, store: Store, run_id: str) -> LoadedRun:
        with self._lock:
            cached = self._finished.get(run_id)
        if cached is not None:
            return cached
        run = load_from(store, run_id)
        if run.info.status == "finished":
            with self._lock:
                self._finished[run_id] = run
        return run

    def all_runs(self) -> list[LoadedRun]:
        """Return every run of the store, newest first."""
        store = Store.open(self.db, readonly=True)
        try:
            return [self._load(store, info.run_id) for info in store.runs()]
        finally:
            store.close()

    def one(self, run_id: str) -> LoadedRun:
        """Return one run; InputError when the store has no such run."""
        store = Store.open(self.db, readonly=True)
        try:
            return self._load(store, run_id)
        finally:
            store.close()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _handler(cache: RunCache, loopback_only: bool) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Answers GET and HEAD from the store; refuses every other method."""

        server_version = "tightrope-viewer"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: the viewer prints its URL and nothing per request."""

        def _send(self, status: int, body: bytes, ctype: str, csp: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Frame-Options", "DENY")
            self.send_header("Cache-Control", "no-store")
            if csp:
                self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _html(self, status: int, text: str, csp: str) -> None:
            self._send(status, text.encode("utf-8"), "text/html; charset=utf-8", csp)

        def _json(self, payload: Any) -> None:
            body = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json; charset=utf-8")

        def _host_ok(self) -> bool:
            host = (self.headers.get("Host") or "").strip()
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
            return not loopback_only or name in LOOPBACK_NAMES

        def do_HEAD(self) -> None:
            """Answer like GET without a body."""
            self.do_GET()

        def do_GET(self) -> None:
            """Serve the index, a run page or the JSON API."""
            if not self._host_ok():
                self._html(HTTPStatus.FORBIDDEN, not_found_html("unknown host"), INDEX_CSP)
                return
            path = unquote(urlsplit(self.path).path)
            try:
                if path in ("/", "/index.html"):
                    self._html(HTTPStatus.OK, index_html(cache.db, cache.all_runs()), INDEX_CSP)
                elif path == "/favicon.ico":
                    self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
                elif path == "/api/runs":
                    self._json(report_json(cache.all_runs()))
                elif path.startswith("/run/") and RUN_ID.match(path[5:]):
                    run = cache.one(path[5:])
                    page = render_html([run], title=f"run {run.run_id}", nav_html=NAV)
                    self._html(HTTPStatus.OK, page, report_csp())
                elif path.startswith("/api/run/") and RUN_ID.match(path[9:]):
                    self._json(report_json([cache.one(path[9:])]))
                else:
                    self._html(HTTPStatus.NOT_FOUND, not_found_html(f"no page {path}"), INDEX_CSP)
            except InputError as exc:
                self._html(HTTPStatus.NOT_FOUND, not_found_html(str(exc)), INDEX_CSP)

        def _read_only(self) -> None:
            body = not_found_html("the viewer is read-only").encode("utf-8")
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", INDEX_CSP)
            self.end_headers()
            self.wfile.write(body)

        def __getattr__(self, name: str) -> Any:
            """Answer every method but GET and HEAD (OPTIONS, TRACE, ...) with 405, not 501."""
            if name.startswith("do_"):
                return self._read_only
            raise AttributeError(name)

    return Handler


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def make_server(out: Path, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Return a bound (not yet serving) viewer server for the store in `out`.

    Port 0 picks a free port (read it from `server.server_address`). InputError when there is
    no store in `out` or the address cannot be bound.
    """
    cache = RunCache(store_path(out))
    server_class = _V6Server if ":" in host else ThreadingHTTPServer
    try:
        server = server_class((host, port), _handler(cache, _is_loopback(host)))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); try --port") from None
    server.daemon_threads = True
    return server


def serve(
    out: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the viewer until interrupted; `on_ready` receives the URL once listening."""
    server = make_server(out, host=host, port=port)
    bound_host, bound_port = server.server_address[:2]
    name = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{name}]" if ":" in name else name
    if on_ready is not None:
        on_ready(f"http://{shown}:{bound_port}/")
    try:
        server.serve_forever()
    finally:
        server.server_close()
