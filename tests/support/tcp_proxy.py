"""A TCP proxy on 127.0.0.1 in front of a real server, which a test can turn into the
outages a client meets: connections refused (the server stopped), or accepted and never
answered (the server hangs)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType
from typing import Self


class TcpProxy:
    def __init__(self, target: str) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self._listener: socket.socket | None = None
        self._port = 0
        self._mode = "forward"
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self._port}"

    def start(self) -> Self:
        self._listen()
        return self

    def stop(self) -> None:
        self._close_listener()
        self._drop_connections()

    def refuse(self) -> None:
        """From now on connections are refused, and open ones are dropped."""
        with self._lock:
            self._mode = "refuse"
        self._close_listener()
        self._drop_connections()

    def hang(self) -> None:
        """From now on connections are accepted and nothing ever comes back."""
        with self._lock:
            self._mode = "hang"
        self._drop_connections()
        if self._listener is None:
            self._listen()

    def forward(self) -> None:
        with self._lock:
            self._mode = "forward"
        self._drop_connections()
        if self._listener is None:
            self._listen()

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

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self._port))
        listener.listen(64)
        self._port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _drop_connections(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed
            with self._lock:
                mode = self._mode
                self._connections.append(client)
            if mode == "forward":
                try:
                    upstream = socket.create_connection(self._target)
                except OSError:
                    client.close()
                    continue
                with self._lock:
                    self._connections.append(upstream)
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pump, args=(source, sink), daemon=True).start()
            # "hang": keep the socket open and never read or answer.


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
