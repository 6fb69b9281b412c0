"""Evidence on promises: editors add links (checked, de-duplicated, audited), and a background
fetch may fill in a missing title."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from promisebot import changes
from promisebot.db.models import Evidence
from promisebot.db.uow import Database
from promisebot.domain import (
    NOTE_MAX,
    PUBLISHER_MAX,
    TITLE_MAX,
    Clock,
    DomainError,
    PromiseNotFound,
    url_problem,
)
from promisebot.services.evidence.link_titles import clean_title
from promisebot.services.permissions import Permissions

ADD_EVIDENCE = "add evidence"


class InvalidEvidence(DomainError):
    """Field problems; `errors` maps a field (url, title, publisher, published_on, note) to
    its message so a modal can show each one beside its input."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class EvidenceAlreadyListed(InvalidEvidence):
    def __init__(self, external_id: str) -> None:
        super().__init__({"url": f"That link is already listed as evidence for `{external_id}`."})


@dataclass(frozen=True, slots=True)
class EvidenceAdded:
    evidence_id: int
    promise_id: int
    promise_external_id: str
    promise_title: str
    url: str
    title: str
    needs_title: bool  # no title was given: worth fetching the page's own title


def evidence_problems(
    *, url: str, title: str, publisher: str, note: str, published_on: date | None, today: date
) -> dict[str, str]:
    """Field errors for new evidence (empty when it is fine); text is expected stripped."""
    errors: dict[str, str] = {}
    problem = url_problem(url) if url else "Paste the link to the evidence."
    if problem:
        errors["url"] = problem
    for field, text, limit in (
        ("title", title, TITLE_MAX),
        ("publisher", publisher, PUBLISHER_MAX),
        ("note", note, NOTE_MAX),
    ):
        if len(text) > limit:
            errors[field] = f"Keep the {field} under {limit} characters."
    # A day's grace: an editor east of UTC may already be on tomorrow's date.
    if published_on is not None and published_on > today + timedelta(days=1):
        errors["published_on"] = "The publication date can't be in the future."
    return errors


class EvidenceService:
    """Adding evidence is for editors; filling in a fetched title is the bot's own doing."""

    def __init__(self, db: Database, clock: Clock, permissions: Permissions) -> None:
        self._db = db
        self._clock = clock
        self._permissions = permissions

    def check_may_add(self, user_id: str) -> None:
        """Raise NotAnEditor unless the user may add evidence (asked before a form opens,
        so nobody fills one in only to be refused)."""
        self._permissions.require_editor(user_id, ADD_EVIDENCE)

    def add(
        self,
        *,
        promise_id: int,
        url: str,
        actor: str,
        title: str = "",
        publisher: str = "",
        published_on: date | None = None,
        note: str = "",
    ) -> EvidenceAdded:
        """Attach a link to a promise; counts as a review of the promise (last_reviewed_at)."""
        self.check_may_add(actor)
        now = self._clock()
        url, title, publisher, note = url.strip(), title.strip(), publisher.strip(), note.strip()
        errors = evidence_problems(
            url=url,
            title=title,
            publisher=publisher,
            note=note,
            published_on=published_on,
            today=now.date(),
        )
        if errors:
            raise InvalidEvidence(errors)
        with self._db.transaction() as uow:
            # The row lock serialises concurrent adds to one promise, so the duplicate check
            # below cannot race (the unique constraint remains the last line of defence).
            promise = uow.promises.lock(promise_id)
            if promise is None:
                raise PromiseNotFound()
            if uow.evidence.evidence_by_url(promise_id, url) is not None:
                raise EvidenceAlreadyListed(promise.external_id)
            row = Evidence(
                promise_id=promise_id,
                url=url,
                title=title,
                publisher=publisher,
                published_on=published_on,
                note=note,
                added_by=actor,
                added_at=now,
            )
            uow.add(row)
            promise.last_reviewed_at = now
            uow.flush()
            uow.audit.record(
                actor=actor,
                action="evidence.add",
                subject_type="promise",
                subject_id=promise_id,
                at=now,
                evidence_id=row.id,
                url=url,
                title=title,
                note=note,
            )
            uow.outbox.add(
                changes.evidence_added(
                    promise_id, actor=actor, at=now, url=url, title=title, note=note
                )
            )
            added = EvidenceAdded(
                evidence_id=row.id,
                promise_id=promise_id,
                promise_external_id=promise.external_id,
                promise_title=promise.title,
                url=url,
                title=title,
                needs_title=not title,
            )
            uow.commit()
        return added

    def set_title(self, evidence_id: int, title: str) -> bool:
        """Fill in a fetched page title unless someone has set one meanwhile.

        A system enrichment, not an editor's action, so it is not audited. False when
        nothing changed (title already set, evidence gone, or the title is blank).
        """
        cleaned = clean_title(title)
        if not cleaned:
            return False
        with self._db.transaction() as uow:
            filled = uow.evidence.fill_empty_title(evidence_id, cleaned)
            uow.commit()
        return filled
