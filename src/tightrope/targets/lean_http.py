"""A lean JSON-over-HTTP client for chat endpoints: its own HTTP/1.1 pool, orjson where installed.

The `openai` SDK spends about 2 ms of client CPU per request in its layers (an HTTP client built
for every case, pydantic models for every response); against a local server that is the limit of
a run. This client does only what tightrope's chat-completions calls need: one pool of kept-alive
connections per target (`targets/http1.py`; an aiohttp session where a proxy is in the way),
JSON bodies encoded and decoded with orjson (the standard `json` module when orjson is missing:
the same bytes on the wire for what tightrope sends, only slower), the status and headers of
every answer. Classifying failures stays with the targets (`targets/remote.py`).

Nothing is opened before the first request, and aiohttp is imported only for a proxy, so a run
the cache answers whole imports neither. docs/benchmarks.md has the measurements that chose
aiohttp over httpx, and then the own client over aiohttp.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tightrope.errors import InputError
from tightrope.targets.http1 import Broken, Origin, TimedOut
from tightrope.targets.remote import TIMED_OUT, connection_failure, malformed
from tightrope.targets.retry import CallFailed, Failure

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _orjson = None  # type: ignore[assignment]

# Which JSON library the lean transport uses (shown in benchmarks).
JSON_LIBRARY = "orjson" if _orjson is not None else "json"


def dumps(obj: Any) -> bytes:
    """Return `obj` as compact UTF-8 JSON bytes (orjson; `json` when orjson is missing or
    refuses a value, e.g. an integer beyond 64 bits in `extra_body`)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(obj)
        except TypeError:
            pass
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes) -> Any:
    """Return the JSON value of `data`; raise json.JSONDecodeError with the standard library's
    message when it is not JSON (so records read as they do under the SDK)."""
    if _orjson is not None:
        try:
            return _orjson.loads(data)
        except _orjson.JSONDecodeError:
            pass  # non-UTF-8 JSON is still JSON to `json`; otherwise its error message
    return json.loads(data)


class StatusError(Exception):
    """An HTTP error status, with the attributes the openai SDK's APIStatusError has.

    `message` is "Error code: N" plus " - " and the body's error message when it has one;
    `body` is the body's `error` object (or the whole body, or its text); `code` is that
    object's `code`. `content_filter_error` (targets/openai_compat.py) reads both kinds alike.
    """

    def __init__(self, status_code: int, text: str, headers: Mapping[str, str]) -> None:
        message = f"Error code: {status_code}"
        body: Any = text
        try:
            body = json.loads(text)
        except ValueError:
            pass
        else:
            error = body.get("error", body) if isinstance(body, dict) else None
            said = error.get("message") if isinstance(error, dict) else None
            if isinstance(said, str) and said:
                message += f" - {said}"
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.body = body.get("error", body) if isinstance(body, dict) else body
        code = self.body.get("code") if isinstance(self.body, dict) else None
        self.code = str(code) if code is not None else None
        self.headers = headers


class LeanClient:
    """POSTs JSON to one endpoint: over targets/http1.py's pool, or aiohttp through a proxy.

    Direct connections (http:// or https://, no proxy named by the environment for the host, no
    user:password in the URL) use the minimal HTTP/1.1 client of `targets/http1.py`, about a
    third of aiohttp's CPU per request (docs/benchmarks.md); the rest use a pooled aiohttp
    session. Either is made on the first request inside the running event loop, and made anew
    under another loop. The pool holds up to `pool` connections, kept alive between requests.
    """

    def __init__(self, url: str, *, headers: Mapping[str, str], timeout: float, pool: int) -> None:
        self.url = url
        self.headers = dict(headers)
        self.timeout = timeout
        self.pool = pool
        self._wire: Origin | None = None
        self._session: Any = None
        self._closed = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._errors: tuple[type[BaseException], ...] = ()
        self._timeouts: tuple[type[BaseException], ...] = ()

    def _open(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._closed = False
        if aiohttp_needed(self.url) is None:
            self._wire = Origin(
                self.url, headers=self.headers, timeout=self.timeout, pool=self.pool
            )
            return
        # HTTP(S)_PROXY and NO_PROXY are honoured as the SDK's client honours them, read once
        # here: aiohttp's trust_env would read them (and ~/.netrc) in a worker thread for every
        # request, two thread hops each.
        parts = urlsplit(self.url)
        self._proxy = _env_proxy(parts.scheme, parts.hostname or "")
        try:
            import aiohttp
        except ImportError:
            raise InputError(
                "the lean transport needs aiohttp: pip install 'tightrope[fast]' "
                "(or give --transport sdk)"
            ) from None

        self._errors = (aiohttp.ClientError,)
        self._timeouts = (aiohttp.ServerTimeoutError,)
        connector = aiohttp.TCPConnector(limit=self.pool, limit_per_host=0, ttl_dns_cache=None)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=self.headers,
            # Per phase, as the SDK's httpx client; the retry loop bounds the whole request.
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=self.timeout, sock_read=self.timeout
            ),
            # Cookies play no part in the protocol; not matching them saves work per request.
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    def is_closed(self) -> bool:
        """Return True when nothing is open (never opened, or closed)."""
        return self._closed

    async def post(self, body: Any) -> Any:
        """Return the decoded JSON answer to POSTing `body`.

        Raises StatusError for a status of 400 or more, and CallFailed for what the SDK calls a
        connection error, a timeout of a read or connect, or a body that is not JSON.
        """
        if self._loop is not asyncio.get_running_loop():
            self._open()
        if self._wire is not None:
            try:
                reply = await self._wire.post(dumps(body))
            except TimedOut:
                raise CallFailed(Failure(TIMED_OUT, retryable=True)) from None
            except Broken as exc:
                raise CallFailed(connection_failure(exc)) from exc
            raw = reply.body
            if reply.status >= 400:
                charset = _charset(reply.headers.get("content-type", ""))
                raise StatusError(reply.status, _text(raw, charset), reply.headers)
        else:
            raw = await self._post_aiohttp(body)
        try:
            return loads(raw)
        except ValueError as exc:
            raise CallFailed(malformed(exc)) from exc

    async def _post_aiohttp(self, body: Any) -> bytes:
        """Return the body of the answer to POSTing `body` through the aiohttp session."""
        try:
            async with self._session.post(self.url, data=dumps(body), proxy=self._proxy) as resp:
                raw: bytes = await resp.read()
                if resp.status >= 400:
                    raise StatusError(resp.status, _text(raw, resp.charset), resp.headers)
                return raw
        except self._timeouts:
            raise CallFailed(Failure(TIMED_OUT, retryable=True)) from None
        except self._errors as exc:
            raise CallFailed(connection_failure(exc)) from exc

    async def close(self) -> None:
        """Close the pool or the session and their connections, if one was opened."""
        self._closed = True
        if self._wire is not None:
            self._wire.close()
        if self._session is not None:
            await self._session.close()


def _text(raw: bytes, charset: str | None) -> str:
    """Return an error body as text (its declared charset, else UTF-8), stripped."""
    try:
        return raw.decode(charset or "utf-8", errors="replace").strip()
    except LookupError:
        return raw.decode("utf-8", errors="replace").strip()


def _charset(content_type: str) -> str | None:
    """Return the charset a Content-Type header declares, or None."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def aiohttp_needed(url: str) -> str | None:
    """Return why a request to `url` would go through aiohttp rather than targets/http1.py: a
    proxy the environment names for it, or a user and password in it; None for a direct
    connection (which needs no HTTP library at all)."""
    parts = urlsplit(url)
    if _env_proxy(parts.scheme, parts.hostname or "") is not None:
        return "a proxy (HTTP_PROXY, HTTPS_PROXY or ALL_PROXY)"
    if parts.username is not None:
        return "a user and password in the URL"
    return None


def _env_proxy(scheme: str, host: str) -> str | None:
    """Return the proxy URL the environment names for a URL of `scheme` on `host`
    (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, as urllib reads them), or None."""
    import urllib.request

    if urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(scheme) or proxies.get("all") or None
