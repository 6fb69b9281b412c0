"""The start/stop shape the fakes share: one local server whose loop runs in a daemon
thread, started by `start()` or `with` and shut down (and joined) by `stop()`."""

from __future__ import annotations

import threading
from typing import Generic, Protocol, Self, TypeVar


class Serving(Protocol):
    def serve_forever(self) -> None: ...

    def shutdown(self) -> None: ...


S = TypeVar("S", bound=Serving)


class LocalServer(Generic[S]):
    """Subclasses say how to bind their server in `_bind`; `_server` is None while stopped."""

    _server: S | None = None
    _thread: threading.Thread | None = None

    def _bind(self) -> S:
        raise NotImplementedError

    def start(self) -> Self:
        if self._server is None:
            self._server = self._bind()
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            if self._thread is not None:
                self._thread.join()
            self._server = self._thread = None

    def _running(self) -> S:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
