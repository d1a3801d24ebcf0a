"""A real HTTP server on 127.0.0.1 that answers chat-completions requests with canned responses.

Each test queues the responses it wants, in order; every request is recorded (path, headers,
JSON body). A request with nothing queued gets HTTP 599, so a test that asks more than it
planned fails loudly.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["CannedLLM", "Canned", "completion"]


def completion(*texts: str) -> dict[str, Any]:
    """A chat-completions body with one choice per text."""
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "model": "canned",
        "choices": [{"index": i, "message": {"role": "assistant", "content": t}, "finish_reason": "stop"}
                    for i, t in enumerate(texts)],
    }


@dataclass
class Canned:
    """One response: status (0: close the connection without answering), body (a dict is sent as JSON,
    a str as it is), headers, delay in seconds."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class CannedLLM:
    """The server; ``url`` is its API base (``http://127.0.0.1:PORT/v1``)."""

    def __init__(self) -> None:
        self.queue: list[Canned] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with owner.lock:
                    owner.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": json.loads(raw)})
                    canned = owner.queue.pop(0) if owner.queue else Canned("nothing queued", status=599)
                if canned.delay:
                    time.sleep(canned.delay)
                if canned.status == 0:  # hang up without answering
                    self.close_connection = True
                    return
                data = canned.body if isinstance(canned.body, str) else json.dumps(canned.body, ensure_ascii=False)
                payload = data.encode("utf-8")
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in canned.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def push(self, *responses: Canned | dict[str, Any]) -> CannedLLM:
        """Queue responses (a dict is a 200 with that JSON body)."""
        with self.lock:
            self.queue += [r if isinstance(r, Canned) else Canned(r) for r in responses]
        return self

    def __enter__(self) -> CannedLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
