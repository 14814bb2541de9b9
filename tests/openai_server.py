"""A scripted HTTP server on 127.0.0.1 speaking OpenAI's chat-completions (and legacy text
completions: a POST to `/completions` with a `prompt`) and Anthropic's messages protocols, for
driving the real SDK clients in tests and benchmarks.

Each request is answered by a `plan(prompt, n)` function, where `n` counts earlier requests with
the same prompt; it returns an `Action`: a normal answer, a status code with headers, a delay, a
dropped connection, malformed JSON, an empty `choices`, or a reply a provider's safety filter
stopped (`filtered`: OpenAI's finish_reason content_filter, Anthropic's stop_reason refusal; a
status with `error_code="content_filter"` is Azure's rejection of a flagged prompt). The server counts requests and the
peak number in flight, and records every request body and header it saw.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fake_targets import answer_for


@dataclass(frozen=True)
class Action:
    """What the server does with one request."""

    kind: str = "ok"  # ok | status | drop | malformed | empty | text | filtered
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    text: str | None = None
    error_code: str | None = None
    body: bytes | None = None  # kind "status": this body as it is (an HTML error page...)


OK = Action()


def always_ok(prompt: str, n: int) -> Action:
    """Answer every request normally."""
    return OK


def prompt_hash(prompt: str) -> int:
    """A stable small integer for a prompt, to pick which prompts a plan faults."""
    return hashlib.sha256(prompt.encode()).digest()[2]


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default backlog of 5 refuses bursts of concurrent clients


class ScriptedServer:
    """Runs in a background thread; use as a context manager. `base_url` ends in /v1."""

    def __init__(
        self,
        plan: Callable[[str, int], Action] = always_ok,
        *,
        latency: float = 0.0,
        responder: Callable[[dict[str, Any]], str | None] | None = None,
        body_plan: Callable[[dict[str, Any]], Action] | None = None,
    ) -> None:
        self.plan = plan
        # Reads the whole request body and returns the reply text (None: the plan's text), for
        # answers that depend on more than the last message (a conversation's earlier turns).
        self.responder = responder
        self.body_plan = body_plan  # when set, answers from the whole request body instead
        self.latency = latency
        self.lock = threading.Lock()
        self.seen: Counter[str] = Counter()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self.in_flight_trace: list[int] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                server._handle(self)

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length", "0"))
        body = json.loads(h.rfile.read(length) or b"{}")
        anthropic = h.path.rstrip("/").endswith("/messages")
        completions = h.path.rstrip("/").endswith("/v1/completions")
        messages = body.get("messages", [])
        prompt = str(messages[-1]["content"]) if messages else ""
        if isinstance(messages[-1]["content"] if messages else "", list):
            prompt = "".join(p.get("text", "") for p in messages[-1]["content"])
        if completions:
            prompt = str(body.get("prompt", ""))
        with self.lock:
            n = self.seen[prompt]
            self.seen[prompt] += 1
            self.requests.append(body)
            self.headers.append(dict(h.headers))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.in_flight_trace.append(self.in_flight)
        try:
            action = self.body_plan(body) if self.body_plan else self.plan(prompt, n)
            if self.responder is not None and action.kind == "ok":
                text = self.responder(body)
                if text is not None:
                    action = Action(text=text, headers=action.headers, delay=action.delay)
            delay = self.latency + action.delay
            if delay:
                time.sleep(delay)
            if completions and action.kind in ("ok", "text"):
                self._respond_completion(h, action, prompt, body)
            else:
                self._respond(h, action, prompt, body, anthropic=anthropic)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away (a killed run): nothing to answer
        finally:
            with self.lock:
                self.in_flight -= 1

    def _respond(
        self,
        h: BaseHTTPRequestHandler,
        action: Action,
        prompt: str,
        body: dict[str, Any],
        *,
        anthropic: bool,
    ) -> None:
        if action.kind == "drop":
            # Promise a long body, send part of it, then cut the connection.
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "500")
            h.end_headers()
            h.wfile.write(b'{"id": "x", "choices": [')
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if action.kind == "status" and action.body is not None:
            self._send(h, action.status, action.body, action.headers)
            return
        if action.kind == "status":
            error: dict[str, Any] = {"message": f"scripted {action.status}", "type": "scripted"}
            if action.error_code is not None:
                error["code"] = action.error_code
                error["innererror"] = {"code": "ResponsibleAIPolicyViolation"}
            payload = json.dumps({"error": error}).encode()
            self._send(h, action.status, payload, action.headers)
            return
        if action.kind == "malformed":
            self._send(h, 200, b'{"id": "x", "choices": [{"message": ', action.headers)
            return
        text = action.text if action.text is not None else answer_for(prompt)
        if anthropic:
            payload_obj: dict[str, Any] = {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": body.get("model", "m"),
                "content": []
                if action.kind in ("empty", "filtered")
                else [{"type": "text", "text": text}],
                "stop_reason": "refusal" if action.kind == "filtered" else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": len(prompt.split()), "output_tokens": len(text.split())},
            }
        else:
            choices = (
                []
                if action.kind == "empty"
                else [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": None if action.kind == "filtered" else text,
                        },
                        "finish_reason": "content_filter" if action.kind == "filtered" else "stop",
                        "logprobs": None,
                    }
                ]
            )
            payload_obj = {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "m"),
                "choices": choices,
                "usage": {
                    "prompt_tokens": len(prompt.split()),
                    "completion_tokens": len(text.split()),
                    "total_tokens": len(prompt.split()) + len(text.split()),
                },
            }
        self._send(h, 200, json.dumps(payload_obj).encode(), action.headers)

    def _respond_completion(
        self, h: BaseHTTPRequestHandler, action: Action, prompt: str, body: dict[str, Any]
    ) -> None:
        text = action.text if action.text is not None else answer_for(prompt)
        payload = {
            "id": "cmpl-1",
            "object": "text_completion",
            "created": int(time.time()),
            "model": body.get("model", "m"),
            "choices": [{"index": 0, "text": text, "finish_reason": "length", "logprobs": None}],
            "usage": {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": len(text.split()),
                "total_tokens": len(prompt.split()) + len(text.split()),
            },
        }
        self._send(h, 200, json.dumps(payload).encode(), action.headers)

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str]
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)
