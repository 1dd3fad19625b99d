"""Local stand-ins for the providers' HTTP APIs, for tests and `touchpoint demo`.

`bot.fakes.twilio.FakeTwilio` and `bot.fakes.telegram.FakeTelegram` serve real HTTP on
127.0.0.1, so the real twilio and python-telegram-bot clients talk to them unchanged.
This module holds what both share: a threaded server with a record and fault injection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from urllib.parse import parse_qsl, urlsplit

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")


def process_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment for a Touchpoint process that a test or a benchmark starts: this
    process's own, less every TWILIO_, TELEGRAM_ and TOUCHPOINT_ setting of the machine
    (a real provider's token must never reach a run against the fakes), plus `settings`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "TELEGRAM_", "TOUCHPOINT_"))
    }
    env.update(PTB_TIMEDELTA="true", TOUCHPOINT_DATABASE_URL=database_url, **settings)
    return env


@dataclass(frozen=True)
class ReceivedRequest:
    """One HTTP request as the fake received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def form(self) -> list[tuple[str, str]]:
        """The url-encoded body as ordered pairs (a multi-dict)."""
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def twilio_error(status: int, code: int, message: str) -> Response:
    """An error as Twilio's REST API answers it (its code, and where it is explained)."""
    return Response(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


@dataclass(frozen=True)
class Fault:
    status: int | None = None  # answer with this error status instead of handling
    hang: float = 0.0  # hold the request this long first
    retry_after: int | None = None


class FakeServer(Generic[T]):
    """A JSON HTTP server on a free port of 127.0.0.1, in a background thread.

    Subclasses implement `_handle` and `_fault_body`. Use as a context manager,
    or call `start()` and `stop()`.
    """

    def __init__(self, *, keep_alive: bool = False) -> None:
        # HTTP/1.1 with keep-alive, as the real APIs answer; HTTP/1.0 (a connection per
        # request) otherwise. `connections` counts the connections accepted.
        self.keep_alive = keep_alive
        self.connections = 0
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._faults: deque[Fault] = deque()
        self._sent: list[T] = []
        self._received: list[ReceivedRequest] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("The fake server is not running: call start() first.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()  # wakes requests held by hang_next
        httpd.shutdown()
        httpd.hang_up()  # idle kept-alive connections would hold server_close()
        httpd.server_close()  # joins the request threads
        thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # what was received

    @property
    def sent(self) -> list[T]:
        """What the client asked the provider to send, oldest first (a copy)."""
        with self._lock:
            return list(self._sent)

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every HTTP request, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[T]:
        """Block until at least `count` messages were sent; raise TimeoutError if not."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._sent) >= count, timeout):
                raise TimeoutError(f"{len(self._sent)} of {count} messages sent in {timeout} s")
            return list(self._sent)

    def clear(self) -> None:
        """Forget what was sent and received, and any pending faults."""
        with self._lock:
            self._sent.clear()
            self._received.clear()
            self._faults.clear()

    def _record(self, item: T) -> None:
        with self._lock:
            self._sent.append(item)
            self._lock.notify_all()

    # fault injection: each request takes the oldest pending fault

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """Answer the next `n` requests with an error of this HTTP status."""
        self._add_faults(n, Fault(status=status))

    def hang_next(self, n: int = 1, seconds: float = 30.0) -> None:
        """Hold the next `n` requests for `seconds` (or until stop()), then answer them."""
        self._add_faults(n, Fault(hang=seconds))

    def _add_faults(self, n: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    # subclass hooks

    def _handle(self, request: ReceivedRequest) -> Response:
        raise NotImplementedError

    def _fault_body(self, fault: Fault) -> Response:
        raise NotImplementedError

    def _dispatch(self, request: ReceivedRequest) -> Response:
        with self._lock:
            self._received.append(request)
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.hang:
            self._stopping.wait(fault.hang)
        if fault is not None and fault.status is not None:
            return self._fault_body(fault)
        return self._handle(request)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins the request threads
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        fake: FakeServer[Any],
    ) -> None:
        self.fake = fake
        self._open: set[Any] = set()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.fake._lock:
            self.fake.connections += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.fake._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        with self.fake._lock:
            still_open = list(self._open)
        for sock in still_open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closed its socket under us: expected.
        _LOGGER.debug("fake server: request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    timeout = 10  # a silent client can't hold stop() forever
    # Headers and body go out in two writes: on a kept-alive connection Nagle's algorithm
    # would hold the second until the client's delayed ACK, 40 ms later.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        if self.server.fake.keep_alive:
            self.protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = ReceivedRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={key.lower(): value for key, value in self.headers.items()},
            body=body,
        )
        response = self.server.fake._dispatch(request)
        payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("fake server: " + format, *args)
