"""Fixtures of the bounds catalogue: a raw server that answers byte by byte (loopback only); the
canned chat-completions server and the paraphrase unit folder come from tests/conftest.py."""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

import pytest

# canned_llm (the chat-completions server) lives with the composer tests: importable when this folder runs alone
_COMPOSER_TESTS = str(Path(__file__).resolve().parents[2] / "composer")
if _COMPOSER_TESTS not in sys.path:
    sys.path.insert(0, _COMPOSER_TESTS)

class RawServer:
    """Answers every connection on 127.0.0.1 with ``head`` and then ``pieces`` of the body, one every
    ``pause`` seconds, then closes; ``url`` is its API base."""

    def __init__(self, head: bytes, pieces: list[bytes], pause: float) -> None:
        self.head, self.pieces, self.pause = head, pieces, pause
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(self.head)
                for piece in self.pieces:
                    if self.stop.wait(self.pause):
                        return
                    conn.sendall(piece)
            except OSError:
                return  # the client gave up


@pytest.fixture()
def raw_server():
    """A factory of :class:`RawServer`, all stopped at the end of the test."""
    servers: list[RawServer] = []

    def make(head: bytes, pieces: list[bytes], pause: float = 0.0) -> RawServer:
        server = RawServer(head, pieces, pause)
        server.thread.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop.set()
        server.thread.join(timeout=2)
        server.sock.close()
