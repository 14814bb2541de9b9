"""A minimal HTTP/1.1 client for one origin: JSON POSTs over kept-alive asyncio connections.

The lean transport's calls are all alike: one POST to one URL with the same headers, a JSON
answer. aiohttp's general client spends about 0.15 ms of CPU on each; against a local server at
1,000 requests a second that is a tenth of the one core the run has (docs/benchmarks.md). This
client does that one exchange and nothing else, in about a third of the time: the request head is
encoded once, each connection is an `asyncio.Protocol` that parses its answer as bytes arrive.

What it speaks: HTTP/1.1 (and 1.0 answers) over TCP or TLS (the system's certificates, as
aiohttp's default; `SSL_CERT_FILE` is honoured), keep-alive with at most `pool` connections,
bodies framed by Content-Length, chunked transfer coding or the end of the connection, 1xx
interim answers skipped, gzip and deflate bodies decoded. Timeouts are per phase, as aiohttp's
`sock_connect` and `sock_read`: the connect, and every wait for the next bytes of an answer.
What it leaves to aiohttp (`targets/lean_http.py` chooses): proxies and user:password URLs.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from typing import NamedTuple
from urllib.parse import urlsplit

from tightrope.errors import InputError

MAX_HEAD = 65536  # bytes of status line and headers an answer may have
IDLE_S = 15.0  # a connection idle longer is closed, not reused (aiohttp's keepalive_timeout)


class Reply(NamedTuple):
    """One answer: its status, its headers (lower-case names; repeated ones joined by ", ")
    and its body, decoded from gzip or deflate where the server coded it."""

    status: int
    headers: dict[str, str]
    body: bytes


class Broken(Exception):
    """The connection failed, broke off, or carried something that is not HTTP/1.1."""


class TimedOut(Exception):
    """The connect, or the wait for the next bytes of an answer, took longer than the timeout."""


class _Conn(asyncio.Protocol):
    """One connection: sends a request, parses the answer into a Reply as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self.waiter: asyncio.Future[Reply] | None = None
        self.buf = bytearray()
        self.got_bytes = False
        self.last_read = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.keep_alive = True
        self.mode = "head"  # head | length | chunk-size | chunk-data | trailer | close
        self.left = 0
        self.parts: list[bytes] = []

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        self.got_bytes = True
        self.last_read = self.loop.time()
        if self.waiter is None:
            return  # bytes nobody asked for: the connection is not reused (Origin._take)
        try:
            reply = self._parse()
        except Broken as exc:
            self._fail(exc)
            return
        if reply is not None:
            self._finish(reply)

    def eof_received(self) -> bool:
        self.closed = True  # at once: connection_lost comes a loop turn later
        return False  # close the transport; connection_lost finishes or fails the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is None or self.waiter.done():
            return
        if self.mode == "close" and exc is None:
            try:
                self._finish(self._reply(bytes(self.buf)))
            except Broken as broken:
                self._fail(broken)
            return
        said = f": {exc}" if exc else ""
        self._fail(Broken(f"server disconnected before the response was complete{said}"))

    # one exchange
    def send(self, request: bytes) -> asyncio.Future[Reply]:
        """Write `request`; return the future of its answer."""
        assert self.transport is not None
        self._reset()
        self.buf.clear()
        self.got_bytes = False
        self.waiter = self.loop.create_future()
        self.last_read = self.loop.time()
        self.timer = self.loop.call_later(self.timeout, self._check_timeout)
        self.transport.write(request)
        return self.waiter

    def _check_timeout(self) -> None:
        quiet = self.loop.time() - self.last_read
        if quiet < self.timeout:  # bytes came since: wait out the rest of the new interval
            self.timer = self.loop.call_later(self.timeout - quiet, self._check_timeout)
            return
        self.timer = None
        self._fail(TimedOut())

    def _finish(self, reply: Reply) -> None:
        self._stop_timer()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(reply)

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def close(self) -> None:
        """Close the connection (it is never used again); an answer still awaited is dropped."""
        self.closed = True
        self.keep_alive = False
        self._stop_timer()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.cancel()
        if self.transport is not None:
            self.transport.close()

    # parsing
    def _parse(self) -> Reply | None:
        """Return the answer once all of it has arrived, else None; raise Broken on bad HTTP."""
        buf = self.buf
        while True:
            if self.mode == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        raise Broken("response headers too long")
                    return None
                head = bytes(buf[:end])
                del buf[: end + 4]
                if self._head(head):
                    continue  # a 1xx interim answer: the real one follows
            elif self.mode == "length":
                if len(buf) < self.left:
                    return None
                body = bytes(buf[: self.left])
                del buf[: self.left]
                return self._reply(body)
            elif self.mode == "chunk-size":
                end = buf.find(b"\r\n")
                if end < 0:
                    return None
                size = buf[:end].split(b";", 1)[0].strip()
                del buf[: end + 2]
                try:
                    self.left = int(size, 16)
                except ValueError:
                    raise Broken(f"bad chunk size {bytes(size)[:20]!r}") from None
                self.mode = "chunk-data" if self.left else "trailer"
            elif self.mode == "chunk-data":
                if len(buf) < self.left + 2:
                    return None
                self.parts.append(bytes(buf[: self.left]))
                del buf[: self.left + 2]
                self.mode = "chunk-size"
            elif self.mode == "trailer":
                end = buf.find(b"\r\n")
                if end < 0:
                    return None
                del buf[: end + 2]
                if end == 0:  # the empty line that ends the trailers
                    return self._reply(b"".join(self.parts))
            else:  # "close": the body is everything until the server closes
                return None

    def _head(self, head: bytes) -> bool:
        """Read a status line and headers; return True for an interim (1xx) answer."""
        lines = head.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit() or rest[3:4] not in ("", " "):
            raise Broken(f"not an HTTP/1.1 answer: {lines[0][:40]!r}")
        status = int(code)
        if 100 <= status < 200:
            return True
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                raise Broken(f"bad header line {line[:40]!r}")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.status, self.headers = status, headers
        connection = headers.get("connection", "").lower()
        self.keep_alive = (
            "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        )
        coding = headers.get("transfer-encoding", "").lower()
        if coding:
            if coding.rsplit(",", 1)[-1].strip() != "chunked":
                raise Broken(f"unsupported transfer coding {coding!r}")
            self.mode = "chunk-size"
        elif "content-length" in headers:
            length = headers["content-length"].split(",")[0].strip()
            if not length.isdigit():
                raise Broken(f"bad Content-Length {length[:20]!r}")
            self.mode, self.left = "length", int(length)
        elif status in (204, 304):
            self.mode, self.left = "length", 0
        else:
            self.mode, self.keep_alive = "close", False
        return False

    def _reply(self, body: bytes) -> Reply:
        coding = self.headers.get("content-encoding", "").strip().lower()
        if coding in ("gzip", "x-gzip", "deflate") and body:
            try:
                # 47: gzip or zlib header; -15: raw deflate, which some servers send as "deflate"
                wbits = 47 if coding != "deflate" or body[:1] == b"\x78" else -15
                body = zlib.decompress(body, wbits)
            except zlib.error as exc:
                raise Broken(f"bad {coding} body: {exc}") from None
        return Reply(self.status, self.headers, body)


class Origin:
    """A pool of kept-alive connections to the origin of `url`, POSTing to its path.

    Up to `pool` connections; one that answered completely and may be kept alive is reused, and
    one idle for more than IDLE_S is closed instead. The pool belongs to the event loop of its
    first request; under another loop a new pool is made.
    """

    def __init__(self, url: str, *, headers: dict[str, str], timeout: float, pool: int) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"{url}: not an http:// or https:// URL")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        self.timeout = timeout
        self.pool = pool
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rpartition("@")[2]  # never a user:password (LeanClient's aiohttp's)
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}"]
        for name, value in headers.items():
            if any(c in f"{name}{value}" for c in "\r\n\0"):
                raise InputError(f"HTTP header {name} holds a line break; remove it")
            lines.append(f"{name}: {value}")
        try:
            self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")
        except UnicodeEncodeError as exc:
            raise InputError(f"an HTTP header holds a character HTTP cannot carry: {exc}") from None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: deque[_Conn] = deque()
        self._slots: asyncio.Semaphore | None = None
        self._ssl: ssl.SSLContext | None = None

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._idle.clear()  # connections of another loop cannot be used here
            self._slots = asyncio.Semaphore(self.pool)

    async def _connect(self) -> _Conn:
        assert self._loop is not None
        loop = self._loop
        if self.tls and self._ssl is None:
            self._ssl = ssl.create_default_context()
            self._ssl.set_alpn_protocols(["http/1.1"])
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Conn(loop, self.timeout),
                    self.host,
                    self.port,
                    ssl=self._ssl if self.tls else None,
                    server_hostname=self.host if self.tls else None,
                ),
                self.timeout,
            )
        except TimeoutError:
            raise TimedOut() from None
        except OSError as exc:  # refused, unreachable, a TLS handshake or certificate failure
            raise Broken(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    async def post(self, body: bytes) -> Reply:
        """Return the answer to POSTing `body`; raise Broken or TimedOut when there is none.

        A request sent on a reused connection that the server closes before a single byte of
        answer is sent once more on a new connection: the server closed an idle connection as
        the request left, and never read it.
        """
        self._bind()
        assert self._slots is not None
        request = self._head + b"%d\r\n\r\n" % len(body) + body
        async with self._slots:
            conn = self._take()
            fresh = conn is None
            if conn is None:
                conn = await self._connect()
            try:
                try:
                    reply = await conn.send(request)
                except Broken:
                    if fresh or conn.got_bytes:
                        raise
                    conn = await self._connect()
                    reply = await conn.send(request)
            except BaseException:  # broken, timed out, or the task cancelled: never reused
                conn.close()
                raise
            if conn.keep_alive and not conn.closed and not conn.buf:
                conn.idle_since = time.monotonic()
                self._idle.append(conn)
            else:
                conn.close()
            return reply

    def _take(self) -> _Conn | None:
        """Return the most recently used live idle connection, closing stale ones; or None."""
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            live = conn.transport is not None and not conn.transport.is_closing()
            if live and not conn.closed and not conn.buf and now - conn.idle_since <= IDLE_S:
                return conn
            conn.close()
        return None

    def close(self) -> None:
        """Close every idle connection (those in use close when their answer ends)."""
        while self._idle:
            self._idle.pop().close()
