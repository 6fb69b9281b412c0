"""The lookup service: search over the database, the in-memory index kept current, cards."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event

from promisebot.db.uow import Database
from promisebot.domain import Rating, Verdict
from promisebot.services.deadlines import DeadlineService
from promisebot.services.evidence import EvidenceService
from promisebot.services.lookup import LookupService
from promisebot.services.permissions import EditorDirectory, Permissions
from promisebot.services.proposals import ProposalService
from promisebot.services.trackers import TrackerService, load_demo
from promisebot.settings import load_settings
from tests.clock import FakeClock
from tests.services.test_evidence import editor_permissions
from tests.services.test_proposals import ALICE, BOB, EDITORS, NOW, OLD_URL, make_promise, propose


def _rows(title: str) -> str:
    return json.dumps(
        [
            {
                "tracker": "city",
                "tracker_name": "City",
                "id": "parks",
                "title": title,
                "rating": "Stalled",
                "rated_on": "2025-05-01",
            }
        ]
    )


def test_search_sees_text_changed_by_a_later_import(db: Database) -> None:
    clock = FakeClock()
    lookup = LookupService(db, clock)
    trackers = TrackerService(db, clock)
    trackers.import_text(_rows("Plant ten thousand street trees"), "json")
    assert lookup.search("street trees").kind == "match"

    trackers.import_text(_rows("Open every public pool all summer"), "json")

    result = lookup.search("public pool")
    assert result.kind == "match"
    assert result.card is not None and result.card.title == "Open every public pool all summer"


def test_the_index_is_not_rebuilt_for_changes_that_do_not_touch_search_text(db: Database) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    lookup = LookupService(db, clock)
    promise = lookup.find_one("police-liability")
    catalog = lookup._catalog.loaded

    EvidenceService(db, clock, editor_permissions(clock, "U_ED1")).add(
        promise_id=promise.id, url="https://news.example/new", actor="U_ED1"
    )
    result = lookup.search("police liability")

    assert lookup._catalog.loaded is catalog
    assert result.card is not None and result.card.evidence[0].url == "https://news.example/new"


def test_card_lists_undated_evidence_by_the_day_it_was_added(db: Database) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    lookup = LookupService(db, clock)
    promise = lookup.find_one("police-liability")
    EvidenceService(db, clock, editor_permissions(clock, "U_ED1")).add(
        promise_id=promise.id, url="https://news.example/undated", actor="U_ED1"
    )

    card = lookup.card(promise.id)

    assert card.evidence[0].url == "https://news.example/undated"
    assert card.evidence_total == 4
    assert card.days_held == (clock().date() - card.rated_at.date()).days


@pytest.fixture
def proposals(db: Database) -> ProposalService:
    clock = FakeClock(NOW)
    editors = EditorDirectory(EDITORS, None, None, ttl_seconds=60, clock=clock)
    return ProposalService(db, load_settings(approvals_required=2), clock, Permissions(editors))


def _statements(db: Database) -> list[str]:
    """Every SQL statement the engine runs from now on (the list fills as they run)."""
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SELECT 1")):
            seen.append(statement)

    return seen


def test_a_card_with_evidence_history_and_open_proposals_costs_three_queries(
    db: Database, proposals: ProposalService
) -> None:
    clock = FakeClock()
    promise_id = make_promise(db)
    first = propose(proposals, promise_id, to=Rating.PROMISE_BROKEN)
    proposals.review(proposal_id=first.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    propose(proposals, promise_id, to=Rating.IN_THE_WORKS, user=ALICE)
    lookup = LookupService(db, clock)
    lookup.warm()

    statements = _statements(db)
    card = lookup.card(promise_id)

    assert len(statements) == 3
    assert [(p.to_rating, p.approvals) for p in card.open_proposals] == [
        (Rating.PROMISE_BROKEN, 1),
        (Rating.IN_THE_WORKS, 0),
    ]
    assert card.evidence_total == 1 and card.evidence[0].url == OLD_URL


def test_a_pick_list_is_answered_from_memory_with_the_current_ratings(db: Database) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    lookup = LookupService(db, clock)
    lookup.warm()
    statements = _statements(db)

    result = lookup.search("tariffs")

    assert result.kind == "ambiguous" and len(result.candidates) >= 2
    assert len(statements) == 1  # the version row
    picked = result.candidates[0]
    rows = TrackerService(db, clock).export().replace("\r", "")
    records = [r for r in json.loads(rows) if r["id"] == picked.external_id]
    records[0]["rating"] = (
        "Promise Broken" if picked.rating is not Rating.PROMISE_BROKEN else "Stalled"
    )
    records[0]["rated_on"] = "2026-01-02"
    records[0].pop("history", None)
    TrackerService(db, clock).import_text(json.dumps(records), "json")

    again = {c.external_id: c for c in lookup.search("tariffs").candidates}[picked.external_id]
    assert again.rating.label == records[0]["rating"]
    assert again.rated_at.date().isoformat() == "2026-01-02"


def test_an_approved_rating_change_bumps_the_ratings_version(
    db: Database, proposals: ProposalService
) -> None:
    promise_id = make_promise(db)
    with db.reading() as uow:
        before = uow.catalog.versions()
    proposal = propose(proposals, promise_id)
    proposals.review(proposal_id=proposal.id, reviewer=ALICE, verdict=Verdict.APPROVE)
    proposals.review(proposal_id=proposal.id, reviewer=BOB, verdict=Verdict.APPROVE)
    with db.reading() as uow:
        after = uow.catalog.versions()
    assert (after.search, after.standings) == (before.search, before.standings + 1)


@pytest.mark.parametrize(
    "query",
    [
        " ".join(["police"] * 10_000),
        ("police liability tariffs border " * 80)[:2000],
        "a" * 2000,
        "!?.,;:-_()[]{}<>&*#@" * 100,
        "\U0001f693\U0001f6a8 \U0001f46e\u200d\u2640\ufe0f \u2764\ufe0f",
        "\u05d4\u05d1\u05d8\u05d7\u05d4 \u05de\u05e9\u05d8\u05e8\u05d4 \u0648\u0639\u062f",
    ],
    ids=["10000-words", "2000-chars", "one-2000-char-word", "punctuation", "emoji", "rtl"],
)
def test_hostile_queries_get_an_answer(db: Database, query: str) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    lookup = LookupService(db, clock)

    result = lookup.search(query)

    assert result.kind in ("match", "ambiguous", "none")
    assert len(result.candidates) <= 5


def test_a_new_deadline_shows_in_the_next_pick_list(db: Database) -> None:
    clock = FakeClock()
    load_demo(db, clock)
    lookup = LookupService(db, clock)
    before = {c.external_id: c for c in lookup.search("tariffs").candidates}
    picked = next(iter(before.values()))
    deadlines = DeadlineService(db, clock, ZoneInfo("UTC"), editor_permissions(clock, "U_ED1"))

    deadlines.set(f"{picked.tracker}/{picked.external_id}", "U_ED1", date(2031, 1, 20), "Day one")

    after = {c.external_id: c for c in lookup.search("tariffs").candidates}
    deadline = after[picked.external_id].deadline
    assert deadline is not None and (deadline.due_on, deadline.label) == (
        date(2031, 1, 20),
        "Day one",
    )
