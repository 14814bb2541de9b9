"""The lean transport's own HTTP/1.1 client (targets/http1.py) against servers on 127.0.0.1 that
answer with scripted bytes: framing, keep-alive, broken and slow answers, TLS, and the pool."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tightrope.errors import InputError
from tightrope.targets.http1 import Broken, Origin, TimedOut
from tightrope.targets.lean_http import LeanClient

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


def _answer(body: bytes, *, status: str = "200 OK", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """Return one request's head and body (framed by its Content-Length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head, await reader.readexactly(length)


class Server:
    """A TCP (or TLS) server on 127.0.0.1 running `handler` for each connection, with the
    connection's number; it counts connections and records every request head."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.connections = 0
        self.open_now = 0
        self.peak_open = 0
        self.heads: list[bytes] = []

    async def __aenter__(self) -> Server:
        async def on_connect(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            n = self.connections
            self.connections += 1
            self.open_now += 1
            self.peak_open = max(self.peak_open, self.open_now)
            try:
                await self.handler(r, w, n)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                self.open_now -= 1
                w.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=self.tls)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/v1/chat/completions"

    async def serve(self, reader: asyncio.StreamReader, *answers: bytes, w: Any) -> None:
        """Answer one request per given answer on this connection, recording each head."""
        for answer in answers:
            head, _ = await _read_request(reader)
            self.heads.append(head)
            w.write(answer)
            await w.drain()


def _origin(url: str, **kw: Any) -> Origin:
    settings: dict[str, Any] = {"headers": {"X-Key": "k"}, "timeout": 2.0, "pool": 4} | kw
    return Origin(url, **settings)


def test_keep_alive_reuses_one_connection_and_sends_the_head_once_encoded() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, _answer(b'{"a": 1}'), _answer(b'{"a": 2}'), w=w)
        await r.read()

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url())
            got = [await o.post(b'{"q": 1}'), await o.post(b"{}")]
            o.close()
            return got

    srv = Server(handler)
    first, second = asyncio.run(go())
    assert (first.status, first.body, second.body) == (200, b'{"a": 1}', b'{"a": 2}')
    assert first.headers["content-length"] == "8"
    assert srv.connections == 1
    head = srv.heads[0].decode()
    assert head.startswith("POST /v1/chat/completions HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{srv.port}\r\n" in head and "X-Key: k\r\n" in head
    assert "Content-Length: 8\r\n" in head and srv.heads[1].endswith(b"Content-Length: 2\r\n\r\n")


@pytest.mark.parametrize("piece", [1, 7, 4096])
def test_chunked_answers_with_extensions_and_trailers_arriving_in_pieces(piece: int) -> None:
    wire = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Twice: a\r\nx-twice: b\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n"
    )

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        for _ in range(2):
            await _read_request(r)
            for i in range(0, len(wire), piece):
                w.write(wire[i : i + piece])
                await w.drain()
        await r.read()

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url())
            return [await o.post(b"{}"), await o.post(b"{}")]

    srv = Server(handler)
    for reply in asyncio.run(go()):
        assert reply.status == 200 and reply.body == b"hello 0123456789"
        assert reply.headers["x-twice"] == "a, b"
    assert srv.connections == 1  # the trailer's end left nothing behind: kept alive


@pytest.mark.parametrize(
    "answer",
    [
        b'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{"until": "close"}',
        b'HTTP/1.0 200 OK\r\nContent-Length: 17\r\n\r\n{"until":"close"}',
    ],
    ids=["no-length-close", "http-1.0"],
)
def test_answers_that_end_the_connection_are_read_and_not_reused(answer: bytes) -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, answer, w=w)

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url())
            return [await o.post(b"{}"), await o.post(b"{}")]

    srv = Server(handler)
    replies = asyncio.run(go())
    assert [r.body.replace(b" ", b"") for r in replies] == [b'{"until":"close"}'] * 2
    assert srv.connections == 2


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw"],
)
def test_compressed_bodies_are_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    body = b'{"choices": []}' * 50

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, _answer(encode(body), extra=f"Content-Encoding: {coding}\r\n"), w=w)

    async def go() -> Any:
        async with srv:
            return await _origin(srv.url()).post(b"{}")

    srv = Server(handler)
    assert asyncio.run(go()).body == body


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, _answer(b"{}"), w=w)  # then closes, as an idle timeout would

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url())
            first = await o.post(b"{}")
            await asyncio.sleep(0.05)
            return [first, await o.post(b"{}")]

    srv = Server(handler)
    assert [r.status for r in asyncio.run(go())] == [200, 200]
    assert srv.connections == 2


def test_a_request_the_server_drops_unread_on_a_reused_connection_is_sent_once_more() -> None:
    # Connection 0 answers once, then reads the next request and closes without a byte: the
    # race of a keep-alive timeout. The request goes once more, on a new connection (1).
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        if n == 0:
            await srv.serve(r, _answer(b'{"n": 0}'), w=w)
            await _read_request(r)
        else:
            await srv.serve(r, _answer(b'{"n": 1}'), w=w)

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url())
            return [await o.post(b"{}"), await o.post(b"{}")]

    srv = Server(handler)
    assert [r.body for r in asyncio.run(go())] == [b'{"n": 0}', b'{"n": 1}']
    assert srv.connections == 2


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not an HTTP/1.1 answer"),
        (b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "not an HTTP/1.1 answer"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"cut', "server disconnected"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "bad header line"),
        (_answer(b"not gzip", extra="Content-Encoding: gzip\r\n"), "bad gzip body"),
    ],
    ids=["not-http", "status", "chunk-size", "cut-off", "length", "header", "gzip"],
)
def test_broken_answers_raise_broken_on_a_fresh_connection(wire: bytes, message: str) -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await _read_request(r)
        w.write(wire)
        await w.drain()
        w.close()

    async def go() -> None:
        async with srv:
            await _origin(srv.url()).post(b"{}")

    srv = Server(handler)
    with pytest.raises(Broken, match=message):
        asyncio.run(go())
    assert srv.connections == 1  # a fresh connection's failure is not sent again


def test_the_read_timeout_is_per_wait_for_bytes_not_per_answer() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await _read_request(r)
        answer = _answer(b'{"slow": "but steady"}')
        if n == 0:  # trickles: every byte within the timeout, the whole well beyond it
            for i in range(0, len(answer), 8):
                w.write(answer[i : i + 8])
                await asyncio.sleep(0.05)
        else:  # the head, then silence
            w.write(answer[:20])
            await asyncio.sleep(1.0)

    async def go() -> tuple[Any, BaseException | None]:
        async with srv:
            o = _origin(srv.url(), timeout=0.3)
            reply = await o.post(b"{}")
            try:
                await Origin(srv.url(), headers={}, timeout=0.3, pool=1).post(b"{}")
            except TimedOut as exc:
                return reply, exc
            return reply, None

    srv = Server(handler)
    reply, stalled = asyncio.run(go())
    assert reply.body == b'{"slow": "but steady"}'
    assert isinstance(stalled, TimedOut)


def test_cancelling_a_request_closes_its_connection_and_frees_the_slot() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        if n == 0:
            await _read_request(r)
            await r.read()  # never answers; sees the client close
            return
        await srv.serve(r, _answer(b'{"after": true}'), w=w)

    async def go() -> Any:
        async with srv:
            o = _origin(srv.url(), pool=1)
            task = asyncio.ensure_future(o.post(b"{}"))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await asyncio.wait_for(o.post(b"{}"), 2)

    srv = Server(handler)
    assert asyncio.run(go()).body == b'{"after": true}'
    assert srv.connections == 2


def test_the_pool_holds_at_most_pool_connections() -> None:
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        while True:
            await _read_request(r)
            await asyncio.sleep(0.02)
            w.write(_answer(b"{}"))
            await w.drain()

    async def go() -> list[Any]:
        async with srv:
            o = _origin(srv.url(), pool=3)
            return await asyncio.gather(*(o.post(b"{}") for _ in range(12)))

    srv = Server(handler)
    assert len(asyncio.run(go())) == 12
    assert srv.connections == 3 and srv.peak_open == 3


def test_tls_with_the_system_trust_store_and_its_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)

    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, _answer(b'{"tls": true}'), w=w)

    async def go() -> Any:
        async with srv:
            return await _origin(srv.url("https")).post(b"{}")

    srv = Server(handler, tls=server_ctx)
    with pytest.raises(Broken, match=r"cannot connect to 127\.0\.0\.1:.*CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(go())  # a CA the system does not trust
    with ca.cert_pem.tempfile() as ca_file:
        monkeypatch.setenv("SSL_CERT_FILE", ca_file)
        assert asyncio.run(go()).body == b'{"tls": true}'
    assert b"Host: 127.0.0.1:" in srv.heads[0]


def test_refused_connections_and_bad_settings() -> None:
    async def go() -> None:
        await _origin("http://127.0.0.1:1/v1/chat/completions").post(b"{}")

    with pytest.raises(Broken, match=r"cannot connect to 127\.0\.0\.1:1\b"):
        asyncio.run(go())
    with pytest.raises(InputError, match="X-Bad holds a line break"):
        Origin("http://h/v1", headers={"X-Bad": "a\r\nInjected: 1"}, timeout=1, pool=1)
    with pytest.raises(InputError, match="not an http:// or https:// URL"):
        Origin("ftp://h/v1", headers={}, timeout=1, pool=1)


def test_a_proxy_the_environment_names_is_used_through_aiohttp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The "proxy" answers itself; what matters is that the request reached it in a proxy's
    # form (the absolute URL in the request line), and that NO_PROXY turns it off.
    async def handler(r: asyncio.StreamReader, w: asyncio.StreamWriter, n: int) -> None:
        await srv.serve(r, _answer(b'{"via": "proxy"}'), w=w)

    async def post(url: str) -> tuple[Any, bool]:
        client = LeanClient(url, headers={"X-Key": "k"}, timeout=2.0, pool=2)
        try:
            return await client.post({"q": 1}), client._wire is None
        finally:
            await client.close()

    async def go() -> list[tuple[Any, bool]]:
        async with srv:
            monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{srv.port}")
            proxied = await post("http://example.invalid/v1/chat/completions")
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
            return [proxied, await post(srv.url())]

    for name in ("NO_PROXY", "ALL_PROXY", "HTTPS_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    srv = Server(handler)
    (proxied, through_aiohttp), (direct, direct_through_aiohttp) = asyncio.run(go())
    assert proxied == {"via": "proxy"} and through_aiohttp
    assert srv.heads[0].startswith(b"POST http://example.invalid/v1/chat/completions HTTP/1.1")
    assert srv.heads[0].count(b"X-Key: k") == 1
    assert direct == {"via": "proxy"} and not direct_through_aiohttp
    assert srv.heads[1].startswith(b"POST /v1/chat/completions HTTP/1.1")
