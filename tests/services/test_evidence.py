"""EvidenceService against the real database: who may add, what is refused, what is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from promisebot.db.models import AuditEvent, Evidence, Promise
from promisebot.db.uow import Database
from promisebot.domain import NOTE_MAX, Clock, NotAnEditor, PromiseNotFound, Rating
from promisebot.services.evidence import (
    EvidenceAdded,
    EvidenceAlreadyListed,
    EvidenceService,
    InvalidEvidence,
)
from promisebot.services.permissions import EditorDirectory, Permissions
from tests.clock import FakeClock
from tests.factories import add_promise

START = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 3, 15, 30, tzinfo=UTC)
URL = "https://news.example/2025/03/bill-stalls"
EDITORS = ("U_EDITOR", "U1", "U2")


def editor_permissions(clock: Clock, *editors: str) -> Permissions:
    """The configured editors only (no Slack user group)."""
    return Permissions(EditorDirectory(frozenset(editors), None, None, ttl_seconds=60, clock=clock))


# Rated and last reviewed at START; the service runs at NOW.
make_promise = partial(
    add_promise, now=START, stalled_days=0, title="End qualified immunity for police"
)


def stored_titles(db: Database) -> dict[str, str]:
    """The title of every evidence row, by URL."""
    with db.reading() as uow:
        rows = uow.session.execute(select(Evidence.url, Evidence.title)).all()
        return dict(rows)


def snapshot(db: Database) -> tuple[int, int, datetime]:
    """Evidence rows, audit events, and the (only) promise's last review."""
    with db.reading() as uow:
        evidence = uow.session.scalar(select(func.count()).select_from(Evidence)) or 0
        events = uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        reviewed = uow.session.scalars(select(Promise.last_reviewed_at)).one()
        return evidence, events, reviewed


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def service(db: Database, clock: FakeClock) -> EvidenceService:
    return EvidenceService(db, clock, editor_permissions(clock, *EDITORS))


def test_add_records_evidence_bumps_review_and_audits(
    db: Database, service: EvidenceService
) -> None:
    promise_id = make_promise(db)

    added = service.add(
        promise_id=promise_id,
        url=f"  {URL} ",
        actor="U_EDITOR",
        publisher="The Capital Times",
        published_on=date(2025, 3, 2),
        note="  Committee chair says the bill is dead for this session. ",
    )

    assert added == EvidenceAdded(
        evidence_id=added.evidence_id,
        promise_id=promise_id,
        promise_external_id="police-liability",
        promise_title="End qualified immunity for police",
        url=URL,
        title="",
        needs_title=True,
    )
    with db.reading() as uow:
        row = uow.session.get_one(Evidence, added.evidence_id)
        assert (row.url, row.publisher, row.published_on) == (
            URL,
            "The Capital Times",
            date(2025, 3, 2),
        )
        assert row.note == "Committee chair says the bill is dead for this session."
        assert (row.added_by, row.added_at) == ("U_EDITOR", NOW)
        assert uow.session.get_one(Promise, promise_id).last_reviewed_at == NOW
        event = uow.session.scalars(select(AuditEvent)).one()
        assert (event.actor, event.action, event.subject_type, event.subject_id, event.at) == (
            "U_EDITOR",
            "evidence.add",
            "promise",
            str(promise_id),
            NOW,
        )
        assert event.details["evidence_id"] == added.evidence_id
        assert event.details["url"] == URL


def test_given_title_needs_no_fetch(db: Database, service: EvidenceService) -> None:
    promise_id = make_promise(db)
    added = service.add(promise_id=promise_id, url=URL, actor="U1", title=" Bill stalls ")
    assert (added.title, added.needs_title) == ("Bill stalls", False)


def test_non_editor_is_refused_and_nothing_changes(db: Database, service: EvidenceService) -> None:
    promise_id = make_promise(db)
    before = snapshot(db)
    with pytest.raises(NotAnEditor, match="Only editors can add evidence"):
        service.add(promise_id=promise_id, url=URL, actor="U_REPORTER")
    assert snapshot(db) == before == (0, 0, START)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "not a web link"),
        ("ftp://files.example/report.pdf", "not a web link"),
        ("https:///no-host", "not a web link"),
        ("https://news.example/a story", "contains spaces"),
        ("https://news.example/" + "a" * 3000, "too long"),
        ("", "Paste the link"),
    ],
)
def test_bad_links_are_refused_and_nothing_changes(
    db: Database, service: EvidenceService, url: str, message: str
) -> None:
    promise_id = make_promise(db)
    with pytest.raises(InvalidEvidence, match=message) as caught:
        service.add(promise_id=promise_id, url=url, actor="U1")
    assert set(caught.value.errors) == {"url"}
    assert snapshot(db) == (0, 0, START)


def test_same_link_twice_is_already_listed(db: Database, service: EvidenceService) -> None:
    promise_id = make_promise(db)
    service.add(promise_id=promise_id, url=URL, actor="U1")
    before = snapshot(db)
    with pytest.raises(EvidenceAlreadyListed, match="already on the card: listed as evidence for"):
        service.add(promise_id=promise_id, url=URL, actor="U2", note="again")
    assert snapshot(db) == before == (1, 1, NOW)


def test_same_link_on_another_promise_is_fine(db: Database, service: EvidenceService) -> None:
    first = make_promise(db)
    other = make_promise(
        db, "body-cameras", title="Body cameras for every officer", rating=Rating.IN_THE_WORKS
    )
    service.add(promise_id=first, url=URL, actor="U1")
    added = service.add(promise_id=other, url=URL, actor="U1")
    assert added.promise_external_id == "body-cameras"


def test_unknown_promise(db: Database, service: EvidenceService) -> None:
    with pytest.raises(PromiseNotFound, match="could not be found"):
        service.add(promise_id=9999, url=URL, actor="U1")
    with db.reading() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("note", "n" * (NOTE_MAX + 1)), ("title", "t" * 301), ("publisher", "p" * 201)],
)
def test_overlong_text_is_refused(
    db: Database, service: EvidenceService, field: str, value: str
) -> None:
    promise_id = make_promise(db)
    text: dict[str, Any] = {field: value}
    with pytest.raises(InvalidEvidence, match=f"Keep the {field} under") as caught:
        service.add(promise_id=promise_id, url=URL, actor="U1", **text)
    assert set(caught.value.errors) == {field}
    assert snapshot(db) == (0, 0, START)


def test_all_field_problems_are_reported_together(db: Database, service: EvidenceService) -> None:
    promise_id = make_promise(db)
    with pytest.raises(InvalidEvidence) as caught:
        service.add(
            promise_id=promise_id,
            url="ftp://x",
            actor="U1",
            note="n" * (NOTE_MAX + 1),
            published_on=date(2025, 3, 10),
        )
    assert set(caught.value.errors) == {"url", "note", "published_on"}


def test_publication_date_may_be_tomorrow_but_not_later(
    db: Database, service: EvidenceService
) -> None:
    promise_id = make_promise(db)
    service.add(
        promise_id=promise_id,
        url=URL,
        actor="U1",
        published_on=NOW.date() + timedelta(days=1),
    )
    with pytest.raises(InvalidEvidence, match="future"):
        service.add(
            promise_id=promise_id,
            url=URL + "?page=2",
            actor="U1",
            published_on=NOW.date() + timedelta(days=2),
        )


def test_set_title_fills_only_empty_titles(db: Database, service: EvidenceService) -> None:
    promise_id = make_promise(db)
    untitled = service.add(promise_id=promise_id, url=URL, actor="U1")
    titled = service.add(
        promise_id=promise_id,
        url=URL + "-2",
        actor="U1",
        title="Editor's title",
    )

    assert service.set_title(untitled.evidence_id, "  Bill\n stalls  in committee ") is True
    assert service.set_title(untitled.evidence_id, "A later fetch") is False
    assert service.set_title(titled.evidence_id, "Fetched title") is False
    assert service.set_title(9999, "Nobody") is False

    titles = stored_titles(db)
    assert titles == {URL: "Bill stalls in committee", URL + "-2": "Editor's title"}
    with db.reading() as uow:  # an enrichment, not an editor's action: no audit event
        assert uow.session.scalar(select(func.count()).select_from(AuditEvent)) == 2


def test_set_title_ignores_blank_and_caps_long_titles(
    db: Database, service: EvidenceService
) -> None:
    promise_id = make_promise(db)
    added = service.add(promise_id=promise_id, url=URL, actor="U1")
    assert service.set_title(added.evidence_id, " \n ") is False
    assert service.set_title(added.evidence_id, "x" * 400) is True
    [title] = stored_titles(db).values()
    assert len(title) == 300
