"""What changed on a promise, as written to the outbox in the transaction that changed it:
one typed `Change` per rating change, evidence, proposal opened or closed, stalled digest.

Pure: the outbox repository stores these; notifications and weekly digests read them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from promisebot.domain import SYSTEM_ACTOR


class ChangeKind(StrEnum):
    RATING_CHANGED = "rating_changed"
    EVIDENCE_ADDED = "evidence_added"
    PROPOSAL_OPENED = "proposal_opened"
    PROPOSAL_CLOSED = "proposal_closed"
    STALLED = "stalled"  # entered a still-stalled digest

    @property
    def notifies(self) -> bool:
        """Whether followers hear of it (a closed proposal only shows in weekly digests)."""
        return self is not ChangeKind.PROPOSAL_CLOSED


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that happened to a promise. `details` is JSON-ready; `dedupe_key`, when
    set, makes a second write of the same change a no-op (e.g. a promise entering the
    stalled digest once per review cycle)."""

    kind: ChangeKind
    promise_id: int
    actor: str
    at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    dedupe_key: str | None = None


def rating_changed(
    promise_id: int,
    *,
    actor: str,
    at: datetime,
    from_rating: str,
    to_rating: str,
    rationale: str,
    proposed_by: str,
    approved_by: Sequence[str],
    proposal_id: int | None,
) -> Change:
    return Change(
        ChangeKind.RATING_CHANGED,
        promise_id,
        actor,
        at,
        {
            "from": from_rating,
            "to": to_rating,
            "rationale": rationale,
            "proposed_by": proposed_by,
            "approved_by": list(approved_by),
            "proposal_id": proposal_id,
        },
    )


def evidence_added(
    promise_id: int, *, actor: str, at: datetime, url: str, title: str, note: str
) -> Change:
    return Change(
        ChangeKind.EVIDENCE_ADDED,
        promise_id,
        actor,
        at,
        {"url": url, "title": title, "note": note},
    )


def proposal_opened(
    promise_id: int,
    *,
    actor: str,
    at: datetime,
    proposal_id: int,
    from_rating: str,
    to_rating: str,
    rationale: str,
) -> Change:
    return Change(
        ChangeKind.PROPOSAL_OPENED,
        promise_id,
        actor,
        at,
        {"proposal_id": proposal_id, "from": from_rating, "to": to_rating, "rationale": rationale},
    )


def proposal_closed(
    promise_id: int, *, actor: str, at: datetime, proposal_id: int, status: str, to_rating: str
) -> Change:
    return Change(
        ChangeKind.PROPOSAL_CLOSED,
        promise_id,
        actor,
        at,
        {"proposal_id": proposal_id, "status": status, "to": to_rating},
    )


def entered_stalled_digest(
    promise_id: int, *, at: datetime, stalled_since: datetime, last_reviewed_at: datetime
) -> Change:
    """Once per review cycle: reviewing the promise again starts a new cycle."""
    return Change(
        ChangeKind.STALLED,
        promise_id,
        SYSTEM_ACTOR,
        at,
        {"stalled_since": stalled_since.isoformat()},
        dedupe_key=f"stalled:{promise_id}:{last_reviewed_at.isoformat()}",
    )
