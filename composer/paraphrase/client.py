"""A small client for OpenAI-compatible chat-completions endpoints (vLLM, Ollama, llama.cpp, hosted).

``POST {endpoint}/chat/completions`` with ``model``, ``messages``, ``n``, ``temperature`` (and a
``seed`` when given). It uses :mod:`urllib.request` from the standard library: one blocking JSON
POST per call needs nothing more, and it adds no dependency. Proxies follow the usual
``http_proxy`` / ``https_proxy`` / ``no_proxy`` environment variables.

The API key is read from the environment only (``TWINCHAT_API_KEY``, else ``OPENAI_API_KEY``) and
sent as a bearer token; a local server needs none. Every failure is an :class:`LLMError` whose one
line names the URL and says what went wrong: a timeout, a refused connection, an HTTP error (with
the server's own message), a rate limit, a body that is not JSON, a response without choices.

Bounds: a request as a whole (connecting, waiting, reading the headers and the reply) must end
within ``timeout`` seconds — the reply is read in chunks against a monotonic deadline, and a
watch ends the connection when the deadline passes (:class:`_Watch`), so a server trickling its
headers or its reply one byte at a time cannot hold it longer — and a reply may hold at most
:data:`MAX_REPLY_BYTES`.

Rate limits: an HTTP 429 is retried after the server's ``Retry-After`` (seconds or an HTTP date),
or after 1, 2, 4… seconds without one, as long as the wait stays within ``max_wait``; a longer
wait, or too many 429s in a row, is an error.

``n``: servers that honour it answer with ``n`` choices in one response; those that ignore it
(Ollama) answer with one, and the client asks again (with the next seed) until it has ``n``;
those that refuse ``n > 1`` with an HTTP 400/422/500 (llama.cpp) are asked once per completion.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import timezone
from typing import Any

from twinchat.composer.errors import ComposerError

__all__ = ["ChatClient", "LLMError", "api_key_from_env", "API_KEY_VARS", "MAX_REPLY_BYTES"]

#: Environment variables holding the API key, first found wins.
API_KEY_VARS = ("TWINCHAT_API_KEY", "OPENAI_API_KEY")
#: The largest reply read (a chat completion is a few KiB); a larger one is an error.
MAX_REPLY_BYTES = 4 * 2**20
#: How much of an HTTP error's body is read for its message.
_MAX_ERROR_BYTES = 64 * 2**10
_CHUNK = 64 * 2**10


class LLMError(ComposerError):
    """The chat-completions endpoint could not be reached or gave an unusable answer."""


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The API key from ``TWINCHAT_API_KEY`` or ``OPENAI_API_KEY`` (None when neither is set)."""
    env = os.environ if environ is None else environ
    for name in API_KEY_VARS:
        if env.get(name):
            return env[name]
    return None


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


class ChatClient:
    """Chat completions from one model at one OpenAI-compatible endpoint.

    ``endpoint`` is the API base (``http://127.0.0.1:11434/v1``); a URL that already ends in
    ``/chat/completions`` is used as it is. ``timeout`` bounds each request as a whole (connect,
    wait, read the reply) in seconds. ``sleep`` is how the client waits before retrying a 429.
    """

    def __init__(self, endpoint: str, model: str, *, api_key: str | None = None, timeout: float = 60.0,
                 max_wait: float = 30.0, max_rate_limited: int = 3,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        base = endpoint.strip().rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise LLMError(f"endpoint {endpoint!r} is not an http(s) URL (e.g. http://127.0.0.1:11434/v1)")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.max_wait = max_wait
        self.max_rate_limited = max_rate_limited
        self.sleep = sleep
        #: set once the server refused ``n > 1``: from then on it is asked once per completion
        self.single_choice = False
        #: requests sent (429 retries included)
        self.requests = 0

    def complete(self, messages: list[dict[str, str]], *, n: int = 1, temperature: float = 0.9,
                 seed: int | None = None) -> list[str]:
        """``n`` completions of ``messages`` (the message contents, in the order received)."""
        if n < 1:
            raise LLMError(f"n must be at least 1 (got {n})")
        texts: list[str] = []
        for call in range(n):  # at most one request per completion, however the server treats n
            want = 1 if self.single_choice else n - len(texts)
            body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": temperature}
            if want > 1:
                body["n"] = want
            if seed is not None:
                body["seed"] = seed + call
            try:
                texts += self._choices(self._post(body))
            except _Refused:
                self.single_choice = True
                body.pop("n")
                texts += self._choices(self._post(body))
            if len(texts) >= n:
                break
        return texts[:n]

    # -- one request -----------------------------------------------------------------------
    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        waited = 0
        while True:
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            self.requests += 1
            deadline = time.monotonic() + self.timeout
            try:
                raw = self._send(request, deadline)
                break
            except urllib.error.HTTPError as exc:
                if exc.code != 429:
                    raise self._http_error(exc, deadline, refusable="n" in body) from exc
                waited += 1
                delay = self._rate_limit_delay(exc, waited)
                exc.close()
                self.sleep(delay)
            except (TimeoutError, socket.timeout) as exc:
                raise self._timeout() from exc
            except urllib.error.URLError as exc:
                raise self._unreachable(exc) from exc
            except (OSError, http.client.HTTPException) as exc:  # reset while reading, a garbled reply…
                raise LLMError(f"{self.url}: connection failed: {exc.__class__.__name__}: {exc}") from exc
        try:
            return json.loads(raw.decode("utf-8"))
        except RecursionError as exc:
            raise LLMError(f"{self.url}: malformed response: JSON nested too deep") from exc
        except ValueError as exc:  # not UTF-8, not JSON, a number past the digit limit
            shown = _one_line(raw.decode("utf-8", "replace"), 80) or "an empty body"
            raise LLMError(f"{self.url}: malformed response, not JSON ({exc.__class__.__name__}: {exc}): "
                           f"{shown}") from exc

    def _send(self, request: urllib.request.Request, deadline: float) -> bytes:
        """The reply to ``request``, read whole by ``deadline`` (monotonic), or TimeoutError: the
        connection is ended when the deadline passes, whatever the server is sending then."""
        watch = _Watch(deadline)
        try:
            with watch, watch.opener().open(request, timeout=self.timeout) as response:
                raw = self._read_capped(response, deadline)
        except (OSError, http.client.HTTPException) as exc:
            if watch.expired:
                raise TimeoutError from exc
            raise
        if watch.expired:  # the watch ended the connection: what was read is cut short
            raise TimeoutError
        return raw

    def _read_capped(self, response: Any, deadline: float, cap: int = MAX_REPLY_BYTES, *,
                     truncate: bool = False) -> bytes:
        """The body of ``response``, read in chunks until ``deadline`` (monotonic); more than ``cap``
        bytes is an error, or with ``truncate`` the first ``cap`` bytes."""
        headers = getattr(response, "headers", None)
        length = (headers.get("Content-Length") if headers is not None else None) or ""
        if not truncate and length.strip().isdigit() and int(length) > cap:
            raise self._too_large(cap)
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            _set_read_timeout(response, min(self.timeout, remaining))
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        if truncate:
            return b"".join(chunks)[:cap]
        raise self._too_large(cap)

    def _too_large(self, cap: int) -> LLMError:
        return LLMError(f"{self.url}: the reply is larger than {cap // 2**20} MiB (the limit); "
                        "is this a chat-completions endpoint?")

    def _rate_limit_delay(self, exc: urllib.error.HTTPError, attempt: int) -> float:
        if attempt > self.max_rate_limited:
            raise LLMError(f"{self.url}: rate limited (HTTP 429) {attempt} times in a row; try again later")
        asked = _retry_after(exc.headers.get("Retry-After"), time.time())
        delay = asked if asked is not None else float(2 ** (attempt - 1))
        if delay > self.max_wait:
            said = f"asks to retry after {delay:g}s" if asked is not None else f"would need a {delay:g}s wait"
            raise LLMError(f"{self.url}: rate limited (HTTP 429): the server {said}, more than the "
                           f"{self.max_wait:g}s limit; try again later")
        return delay

    def _http_error(self, exc: urllib.error.HTTPError, deadline: float, *, refusable: bool) -> Exception:
        try:
            text = self._read_capped(exc, deadline, _MAX_ERROR_BYTES, truncate=True).decode("utf-8", "replace")
        except OSError:
            text = ""
        finally:
            exc.close()
        detail = text
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            err = parsed.get("error", parsed)
            if isinstance(err, dict) and err.get("message"):
                detail = str(err["message"])
            elif isinstance(err, str):
                detail = err
        message = f"{self.url}: HTTP {exc.code} {exc.reason}"
        if detail.strip():
            message += f": {_one_line(detail)}"
        if exc.code in (401, 403):
            message += f" (set the API key in {' or '.join(API_KEY_VARS)})"
        elif exc.code == 404:
            message += " (check --endpoint: it is the API base, usually ending in /v1, and --model)"
        error = LLMError(message)
        if refusable and exc.code in (400, 422, 500):
            return _Refused(error)
        return error

    def _timeout(self) -> LLMError:
        return LLMError(f"{self.url}: no response within {self.timeout:g}s (timeout); is the server busy "
                        f"or the model still loading? Raise --timeout to wait longer")

    def _unreachable(self, exc: urllib.error.URLError) -> LLMError:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return self._timeout()
        if isinstance(reason, ConnectionRefusedError):
            return LLMError(f"{self.url}: connection refused; is the server running?")
        return LLMError(f"{self.url}: cannot connect: {reason}")

    def _choices(self, payload: Any) -> list[str]:
        if not isinstance(payload, dict):
            raise LLMError(f"{self.url}: malformed response: a JSON object was expected, "
                           f"got {type(payload).__name__}")
        if "error" in payload and "choices" not in payload:
            err = payload["error"]
            detail = err.get("message") if isinstance(err, dict) else err
            raise LLMError(f"{self.url}: the server answered with an error: {_one_line(str(detail))}")
        choices = payload.get("choices")
        if not isinstance(choices, list) or not choices:
            raise LLMError(f"{self.url}: malformed response: no choices")
        out = []
        for i, choice in enumerate(choices):
            message = choice.get("message") if isinstance(choice, dict) else None
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, str):
                raise LLMError(f"{self.url}: malformed response: choice {i} has no message content")
            out.append(content)
        return out


class _Watch:
    """Ends the connections of one request when its deadline (monotonic) passes: a socket read
    waits on its own timeout, so a server sending a byte just before each one expires (its headers
    included, which no read of ours paces) could hold a request for ever."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:  # connected only after the deadline
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def opener(self) -> urllib.request.OpenerDirector:
        """urllib's opener (proxies from the environment included) whose connections this watches."""
        watch = self

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req: Any) -> Any:
                return self.do_open(functools.partial(_WatchedHTTP, watch=watch), req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req: Any) -> Any:
                return self.do_open(functools.partial(_WatchedHTTPS, watch=watch), req,
                                    context=self._context)
        return urllib.request.build_opener(HTTP, HTTPS)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once
    except OSError:
        pass  # closed already


class _Watched:
    """A connection whose socket (the TLS one for HTTPS) a :class:`_Watch` may shut at its deadline."""

    sock: socket.socket

    def __init__(self, *args: Any, watch: _Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self._watch = watch

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._watch.watch(self.sock)


class _WatchedHTTP(_Watched, http.client.HTTPConnection):
    pass


class _WatchedHTTPS(_Watched, http.client.HTTPSConnection):
    pass


def _set_read_timeout(response: Any, seconds: float) -> None:
    """Let the next read of ``response`` wait at most ``seconds`` (when its socket is reachable)."""
    fp = getattr(response, "fp", None)
    fp = getattr(fp, "fp", fp)  # an HTTPError wraps the response
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(max(seconds, 0.001))


class _Refused(Exception):
    """An HTTP error to a request with ``n > 1`` that may only mean the server refuses ``n``."""

    def __init__(self, error: LLMError) -> None:
        super().__init__(str(error))
        self.error = error
