"""Which database errors are worth re-running a transaction for, and how long to keep trying.

A transient error (a lost connection, a server shutting a session down, a serialization
failure or a deadlock) says nothing about the work itself: the same transaction, re-run on a
fresh connection a moment later, normally succeeds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

# SQLSTATEs after which the whole transaction may simply be run again.
_RETRY_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "57P01",  # admin_shutdown: pg_terminate_backend, a fast shutdown
        "57P02",  # crash_shutdown: another backend crashed, the server resets every session
        "57P03",  # cannot_connect_now: the server is starting up or shutting down
    }
)
_CONNECTION_EXCEPTION = "08"  # the SQLSTATE class of a lost or refused connection
# libpq's words when the socket closed under it; these errors carry no SQLSTATE.
_CONNECTION_LOST = (
    "server closed the connection unexpectedly",
    "consuming input failed",
    "the connection is lost",
)


def is_transient(error: BaseException) -> bool:
    """True when re-running the failed transaction on a fresh connection may well succeed.

    SQLite's "database is locked" is not transient here: writers begin with BEGIN IMMEDIATE
    under a 30-second busy timeout, so the error means another writer held the lock longer
    than that already, and waiting a few more seconds would only keep a person waiting.
    A connection that cannot be opened at all (refused, wrong password) is not transient
    either: that is an outage or a misconfiguration, and start-up should say so at once.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy recognised a disconnect
        return True
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in _RETRY_SQLSTATES or sqlstate.startswith(_CONNECTION_EXCEPTION)
    message = str(cause).lower()
    return any(words in message for words in _CONNECTION_LOST)


def describe(error: BaseException) -> str:
    """A one-line name for a database error: `OperationalError (AdminShutdown 57P01)`."""
    if not isinstance(error, DBAPIError):
        return type(error).__name__
    cause = error.orig
    detail = " ".join(
        part for part in (type(cause).__name__, getattr(cause, "sqlstate", None) or "") if part
    )
    return f"{type(error).__name__} ({detail})"


@dataclass(frozen=True)
class RetryPolicy:
    """A few attempts within a time budget, with exponential backoff and jitter.

    The budget is counted from the first failure; no retry starts once it would end after
    the budget. Jitter keeps the replicas a blip disconnected together from coming back in
    lock-step.
    """

    attempts: int = 8
    budget_seconds: float = 5.0
    first_delay: float = 0.1
    max_delay: float = 1.6
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def delay_after(self, failures: int) -> float:
        """How long to wait after the `failures`-th failed attempt ("equal jitter")."""
        ceiling = min(self.max_delay, self.first_delay * 2.0 ** (failures - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def next_delay(self, failures: int, first_failure: float) -> float | None:
        """The wait before the next attempt, or None when the attempts or budget are spent."""
        if failures >= self.attempts:
            return None
        delay = self.delay_after(failures)
        if self.clock() - first_failure + delay > self.budget_seconds:
            return None
        return delay


NO_RETRY = RetryPolicy(attempts=1)
