"""Promise deadlines: editors set and clear a promise's `due_on` and `due_label`
(`/promise due`), each change audited. Reads of overdue promises live with the lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from promisebot.db.uow import Database
from promisebot.domain import Clock, Deadline, check_deadline, check_single_match
from promisebot.services.permissions import Permissions

SET_DEADLINES = "set deadlines"


@dataclass(frozen=True, slots=True)
class DeadlineChanged:
    promise_id: int
    tracker: str
    external_id: str
    title: str
    deadline: Deadline | None  # None: the deadline was cleared
    previous_due_on: date | None
    changed_by: str


class DeadlineService:
    def __init__(self, db: Database, clock: Clock, tz: ZoneInfo, permissions: Permissions) -> None:
        self._db = db
        self._clock = clock
        self._tz = tz
        self._permissions = permissions

    def authorize(self, user: str) -> None:
        """Raise `NotAnEditor` unless `user` may set deadlines; `set` checks it too, and a
        command asks first so a non-editor hears that before any lesson in date formats."""
        self._permissions.require_editor(user, SET_DEADLINES)

    def set(self, ref: str, user: str, due_on: date | None, label: str = "") -> DeadlineChanged:
        """Give the promise `ref` (`id` or `tracker/id`) a deadline; `due_on` None clears it."""
        self.authorize(user)
        label = check_deadline(due_on, label) if due_on is not None else ""
        now = self._clock()
        with self._db.transaction() as uow:
            matches = uow.promises.by_ref(ref)
            check_single_match(ref, [f"{p.tracker.slug}/{p.external_id}" for p in matches])
            promise = uow.promises.lock(matches[0].id)
            assert promise is not None
            previous = (promise.due_on, promise.due_label)
            promise.due_on, promise.due_label = due_on, label
            if (due_on, label) != previous:
                promise.updated_at = now
                uow.catalog.touch_standings()  # pick-lists show the deadline
                uow.audit.record(
                    actor=user,
                    action="promise.deadline_set" if due_on else "promise.deadline_cleared",
                    subject_type="promise",
                    subject_id=promise.id,
                    at=now,
                    due_on=due_on.isoformat() if due_on else None,
                    due_label=label,
                    previous_due_on=previous[0].isoformat() if previous[0] else None,
                    previous_due_label=previous[1],
                )
            today = now.astimezone(self._tz).date()
            result = DeadlineChanged(
                promise_id=promise.id,
                tracker=matches[0].tracker.slug,
                external_id=promise.external_id,
                title=promise.title,
                deadline=Deadline.of(due_on, label, promise.current_rating, today),
                previous_due_on=previous[0],
                changed_by=user,
            )
            uow.commit()
        return result
