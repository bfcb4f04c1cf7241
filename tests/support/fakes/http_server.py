"""A threaded HTTP server on 127.0.0.1 (ephemeral port) that records every request and
answers through a subclass's handle(); failures can be scripted for the next N requests,
and so can slow answers: the request is handled (the provider "creates" the message) and
the answer is held back, as a provider that accepts a request but answers after the
client's timeout.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    query: dict[str, str] = field(default_factory=dict)  # one value per key
    status: int = 0  # what the fake answered (or will, once a held answer is released)
    response_body: bytes = b""
    response_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """application/x-www-form-urlencoded body, one value per key."""
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8")).items()}

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class FakeResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> FakeResponse:
        return cls(
            status,
            json.dumps(payload).encode("utf-8"),
            {"Content-Type": "application/json", **headers},
        )


@dataclass(frozen=True)
class ScriptedFailure:
    status: int
    code: int | None
    message: str | None


class FakeHttpServer:
    """Subclasses implement handle() and error_response()."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._failures: deque[ScriptedFailure] = deque()
        self._delays: deque[float] = deque()
        self._released = threading.Event()  # set on stop(): held answers go out at once
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)

    # ------------------------------------------------------------------ test API

    def next_id(self) -> int:
        """1, 2, 3, ...: for the message ids a fake provider hands out."""
        return next(self._ids)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def accepted(self) -> list[RecordedRequest]:
        """Requests the fake answered with a 2xx: what the provider actually took."""
        return [r for r in self.requests if r.ok]

    def fail_next(
        self, status: int, code: int | None = None, times: int = 1, message: str | None = None
    ) -> None:
        """Answer the next `times` requests with an error of this HTTP status (and, for
        providers with error codes, this code) instead of handling them."""
        with self._lock:
            self._failures.extend(ScriptedFailure(status, code, message) for _ in range(times))

    def answer_late(self, seconds: float, times: int = 1) -> None:
        """Handle the next `times` requests (a message is created) but answer each only
        after `seconds`: past the client's timeout, the client cannot know it was taken."""
        with self._lock:
            self._delays.extend(seconds for _ in range(times))

    def received(self, method: str, path_suffix: str = "") -> list[RecordedRequest]:
        """Requests handled so far (answered or not) with this method and path ending."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.endswith(path_suffix)]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self._delays.clear()

    # ------------------------------------------------------------------ subclass API

    def handle(self, request: RecordedRequest) -> FakeResponse:
        raise NotImplementedError

    def error_response(self, failure: ScriptedFailure) -> FakeResponse:
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals

    def _respond(self, request: RecordedRequest) -> FakeResponse:
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            delay = self._delays.popleft() if self._delays and failure is None else 0.0
        response = self.error_response(failure) if failure else self.handle(request)
        request.status = response.status
        request.response_body = response.body
        request.response_headers = response.headers
        with self._lock:
            self.requests.append(request)
        if delay:
            self._released.wait(delay)
        return response


def _handler_for(fake: FakeHttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            path, _, query = self.path.partition("?")
            request = RecordedRequest(
                method=self.command,
                path=path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
                query={k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()},
            )
            response = fake._respond(request)
            try:
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)
            except OSError:
                pass  # the client gave up waiting (timeout) or died: as at a real provider

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean; .requests is the log

    return Handler
