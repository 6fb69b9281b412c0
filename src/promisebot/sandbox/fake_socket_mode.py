"""A fake Slack Socket Mode endpoint: a local websocket server that FakeSlack's
apps.connections.open hands out, pushes envelopes to the bot and collects its acks."""

from __future__ import annotations

import json
import threading
import uuid
from typing import TYPE_CHECKING, Any, Self

from promisebot.sandbox.fake_slack import FakeSlack
from promisebot.sandbox.local_server import LocalServer

if TYPE_CHECKING:
    from websockets.sync.server import Server, ServerConnection

ENVELOPE_TYPES = frozenset({"slash_commands", "interactive", "events_api"})


class FakeSocketMode(LocalServer["Server"]):
    """Start it after `fake`; the bot's `SocketModeHandler` then connects here.

    Stop the bot's handler before this (a dropped server makes the client reconnect).
    """

    def __init__(self, fake: FakeSlack, *, ping_interval: float = 0.5) -> None:
        self.fake = fake
        # Frequent pings also wake the sdk client's blocking recv, so it closes quickly.
        self.ping_interval = ping_interval
        self._changed = threading.Condition()
        self._open: list[ServerConnection] = []
        self._opened = 0
        self._acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []

    def _bind(self) -> Server:
        from websockets.sync.server import serve  # optional dependency: import on use

        return serve(
            self._serve_connection,
            "127.0.0.1",
            0,
            compression=None,
            ping_interval=self.ping_interval,
            ping_timeout=10,
            close_timeout=2,
        )

    def start(self) -> Self:
        super().start()
        self.fake.socket_mode_url = self._issue_url
        return self

    def stop(self) -> None:
        self.fake.socket_mode_url = None
        super().stop()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._running().socket.getsockname()[1]}/link/"

    @property
    def connection_count(self) -> int:
        """Connections open now."""
        with self._changed:
            return len(self._open)

    @property
    def connections_opened(self) -> int:
        """Connections opened since start, including closed ones."""
        with self._changed:
            return self._opened

    def wait_for_connection(self, opened: int = 1, timeout: float = 5.0) -> None:
        """Block until `opened` connections were made in total and one is open now."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._opened >= opened and bool(self._open), timeout
            ):
                raise TimeoutError(f"expected connection #{opened} within {timeout}s")

    def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 5.0,
    ) -> str:
        """Send an envelope to the newest open connection, as Slack sends each one to a
        single connection; returns its envelope id."""
        if envelope_type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {sorted(ENVELOPE_TYPES)}")
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": (
                envelope_type != "events_api"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or "timeout"
        self.wait_for_connection(timeout=timeout)
        with self._changed:
            connection = self._open[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The ack the client sent for `envelope_id`: `{"envelope_id", "payload"?}`."""
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no ack for envelope {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

    def drop_connections(self) -> None:
        """Close every open connection, as Slack does now and then; clients reconnect."""
        with self._changed:
            connections = list(self._open)
        for connection in connections:
            connection.close(code=1001, reason="going away")

    def request_refresh(self) -> None:
        """Send Slack's `disconnect` message, which asks clients to reconnect."""
        with self._changed:
            connections = list(self._open)
        message = {"type": "disconnect", "reason": "refresh_requested", "debug_info": {}}
        for connection in connections:
            connection.send(json.dumps(message))

    def _issue_url(self) -> str:
        ticket = uuid.uuid4()
        return f"{self.url}?ticket={ticket}&app_id={self.fake.app_id}"

    def _serve_connection(self, connection: ServerConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._changed:
            self._open.append(connection)
            self._opened += 1
            count = len(self._open)
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.fake.app_id},
        }
        try:
            connection.send(json.dumps(hello))
            for raw in connection:
                self._record(raw)
        except ConnectionClosed:
            pass  # the sdk client drops the TCP connection without a close frame
        finally:
            with self._changed:
                self._open.remove(connection)
                self._changed.notify_all()

    def _record(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        with self._changed:
            self.received.append(message)
            if "envelope_id" in message:
                self._acks[str(message["envelope_id"])] = message
            self._changed.notify_all()
