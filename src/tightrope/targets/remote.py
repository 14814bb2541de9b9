"""What the SDK-backed targets share: one request per conversation, retried, rate-limited."""

from __future__ import annotations

import importlib.util
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets._base import TargetBase
from tightrope.targets.limits import AdaptiveLimiter
from tightrope.targets.retry import Failure, RetryPolicy, answer_each, retry_after

RETRYABLE_STATUS = {408, 409, 425, 429}


# Target settings every remote chat backend takes (targets._base.KNOWN_SETTINGS explains each).
REMOTE_SETTINGS = frozenset(
    {"concurrency", "timeout", "retries", "base_delay", "max_delay", "api_key_env", "version"}
)


def short(text: str, limit: int = 300) -> str:
    """Return text on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def status_failure(status: int, message: str, headers: Mapping[str, str]) -> Failure:
    """Return how to treat an HTTP error status: 408/409/425/429 and every 5xx are retried,
    other 4xx are not; a 429 is a rate limit, and Retry-After (seconds, milliseconds or an HTTP
    date) sets the least wait. Every transport (the SDKs', the lean one) classifies through this.
    """
    return Failure(
        f"HTTP {status}: {short(message)}",
        retryable=status in RETRYABLE_STATUS or status >= 500,
        rate_limited=status == 429,
        retry_after=retry_after(headers),
    )


def classify_sdk_error(exc: BaseException, sdk: ModuleType) -> Failure:
    """Return how to treat an exception of the openai or anthropic SDK: retry it, or record it.

    Both SDKs raise the same hierarchy (APIStatusError, APITimeoutError, APIConnectionError,
    APIResponseValidationError); statuses are classified by `status_failure`.
    """
    if isinstance(exc, sdk.APIStatusError):
        return status_failure(exc.status_code, str(exc.message), exc.response.headers)
    if isinstance(exc, sdk.APITimeoutError):
        return Failure(TIMED_OUT, retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        return connection_failure(exc.__cause__ or exc)
    if isinstance(exc, (json.JSONDecodeError, sdk.APIResponseValidationError, ValueError)):
        return malformed(exc)
    return Failure(f"{type(exc).__name__}: {short(str(exc))}", retryable=True)


# A transport's own read or connect timeout (the retry loop's overall one says "timed out after").
TIMED_OUT = "request timed out"


def connection_failure(exc: BaseException) -> Failure:
    """Return the retryable failure of a connection that could not be made or broke off."""
    return Failure(f"connection failed: {short(str(exc))}", retryable=True)


def malformed(exc: BaseException) -> Failure:
    """Return the retryable failure of a response body that is not the JSON expected."""
    return Failure(f"malformed response: {short(str(exc))}", retryable=True)


def deployment_version(base: str, version: str | None) -> str:
    """Return an endpoint's version: `base` (SDK and model name) plus the user's `version=`
    label when given, so a redeployed endpoint serving the same model name gets new cache keys;
    without a label the version (and every cache key) is as before."""
    return base if version is None else f"{base};version={version}"


def check_base_url(url: str, where: str) -> str:
    """Return `url` when it can name an HTTP endpoint; InputError (exit 2) otherwise.

    A malformed URL (no scheme or host, a port out of range, spaces) was retried six times as if
    the network had failed; it is bad input, found before any store is created. `where` names
    the spec or environment variable the URL came from.
    """
    fix = "give a base URL like http://HOST:PORT/v1"
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{where}: the base URL {url!r} is malformed ({exc}); {fix}") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(f"{where}: the base URL {url!r} must start with http:// or https://")
    if not parts.hostname or any(c.isspace() for c in parts.netloc):
        raise InputError(f"{where}: the base URL {url!r} names no host; {fix}")
    if port == 0:
        raise InputError(f"{where}: the base URL {url!r} has port 0; {fix}")
    return url


def endpoint_and_model(scheme: str, arg: str) -> tuple[str, str]:
    """Return (base URL, model) of a `SCHEME:BASE_URL#MODEL` target's argument, the URL checked;
    InputError showing the form otherwise."""
    base_url, sep, model = arg.rpartition("#")
    if not sep or not base_url or not model:
        raise InputError(
            f"target '{scheme}:{arg}' must look like {scheme}:http://HOST:PORT/v1#MODEL"
        )
    return check_base_url(base_url, f"target '{scheme}:{arg}'"), model


def check_installed(module: str, what: str, extra: str) -> None:
    """Raise InputError (bad input, exit 2) when an optional SDK is not installed."""
    if importlib.util.find_spec(module) is None:
        raise InputError(f"{what}: pip install 'tightrope[{extra}]'")


class RemoteChatTarget(TargetBase):
    """Base of the openai and anthropic targets; a subclass defines `_make_client` and `_call`.

    The SDK client (and the SDK's import, over a second for openai) is made on the first call,
    so a run that the cache answers whole never pays for it.
    """

    max_batch_size = 1
    spec: str
    version: str
    _made: Any = None

    def __init__(
        self,
        *,
        concurrency: int,
        timeout: float,
        retries: int,
        base_delay: float,
        max_delay: float,
        secrets: Sequence[str],
    ) -> None:
        self.max_concurrency = concurrency
        self.limiter = AdaptiveLimiter(concurrency)
        self.policy = RetryPolicy(
            attempts=retries, timeout=timeout, base_delay=base_delay, max_delay=max_delay
        )
        self._secrets = [s for s in secrets if s]
        self._made = None

    def _make_client(self) -> Any:
        """Return a new SDK client for this target."""
        raise TypeError(f"{type(self).__name__} must define _make_client")

    @property
    def _client(self) -> Any:
        if self._made is None:
            self._made = self._make_client()
        return self._made

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        """Make one request; raise targets.retry.CallFailed with a classified failure."""
        raise TypeError(f"{type(self).__name__} must define _call")

    async def aclose(self) -> None:
        """Close the SDK's HTTP client, if one was made (the runner calls this at the end)."""
        if self._made is not None:
            await self._made.close()
            self._made = None

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation; failures after retries are error records."""
        return await answer_each(
            batch,
            lambda messages: self._call(messages, config),
            policy=self.policy,
            limiter=self.limiter,
            secrets=self._secrets,
        )
