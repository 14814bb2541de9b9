"""A cheap OpenAI-compatible chat-completions server for benchmarks, run in its own process.

    .venv/bin/python bench/openai_stub_server.py [--latency 0.05] [--port 0]

Serves `POST /v1/chat/completions` on 127.0.0.1 with HTTP/1.1 keep-alive: it reads the JSON
body, waits `--latency` seconds without blocking other requests (asyncio), and answers a real
chat.completion object (id, choices with one assistant message, finish_reason, usage) with a
correct Content-Length. The answer refuses or complies by a hash of the last user message (about
a third refuse), so a refusal judge has both kinds to read; compliances are a harmless
placeholder. `GET /stats` returns the counts served so far as JSON (`requests`: chat
completions; `peak_in_flight`), so a benchmark can assert a rerun made zero model calls.

On start it prints one line `PORT <n>` to stdout (port 0 picks a free one). Benchmarks start it
with `StubServer` (below), which runs it as a subprocess, so the server never shares the client's
interpreter or GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = (
    "Sure. Here is a general overview: first, check the documentation; then, open the settings "
    "and follow the steps it describes. [placeholder answer]"
)


def answer_for(prompt: str) -> str:
    """Refuse or comply by a hash of the prompt: deterministic, about one in three refuses."""
    return REFUSAL if hashlib.sha256(prompt.encode()).digest()[0] % 3 == 0 else COMPLIANCE


class Stub:
    """The server state: latency and counters."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0

    def completion(self, body: dict[str, Any]) -> bytes:
        """Return the JSON bytes of a chat.completion answering `body`."""
        messages = body.get("messages") or [{"content": ""}]
        content = messages[-1].get("content", "")
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content)
        prompt = str(content)
        text = answer_for(prompt)
        prompt_tokens, completion_tokens = len(prompt.split()), len(text.split())
        self.requests += 1
        return json.dumps(
            {
                "id": f"chatcmpl-{self.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
        ).encode()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one keep-alive connection until the client closes it."""
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                length = int(headers.get("content-length", "0"))
                raw = await reader.readexactly(length) if length else b""
                close = headers.get("connection", "").lower() == "close"
                if method == "POST" and path.rstrip("/").endswith("/chat/completions"):
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    try:
                        if self.latency:
                            await asyncio.sleep(self.latency)
                        status, payload = 200, self.completion(json.loads(raw or b"{}"))
                    finally:
                        self.in_flight -= 1
                elif method == "GET" and path.rstrip("/").endswith("/stats"):
                    status = 200
                    payload = json.dumps(
                        {"requests": self.requests, "peak_in_flight": self.peak_in_flight}
                    ).encode()
                else:
                    status = 404
                    payload = json.dumps(
                        {"error": {"message": f"no route {method} {path}", "type": "not_found"}}
                    ).encode()
                reason = "OK" if status == 200 else "Not Found"
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n".encode()
                    + payload
                )
                await writer.drain()
                if close:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()


async def serve(latency: float, port: int) -> None:
    """Serve forever on 127.0.0.1:`port`, printing `PORT <n>` once listening."""
    stub = Stub(latency)
    server = await asyncio.start_server(stub.handle, "127.0.0.1", port, backlog=4096)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


class StubServer:
    """Runs the stub server in a subprocess; use as a context manager. `base_url` ends in /v1."""

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> StubServer:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--latency", str(self.latency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line.startswith("PORT "):
            self._proc.kill()
            raise RuntimeError(f"stub server did not start: {line!r}")
        self.port = int(line.split()[1])
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)

    def stats(self) -> dict[str, int]:
        """Return the server's counters: `requests` (chat completions served), `peak_in_flight`."""
        with urllib.request.urlopen(f"{self.base_url}/stats", timeout=10) as resp:
            data: dict[str, int] = json.loads(resp.read())
        return data

    def requests(self) -> int:
        """Return how many chat completions the server has answered so far."""
        return self.stats()["requests"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = ap.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.latency, args.port))


if __name__ == "__main__":
    main()
