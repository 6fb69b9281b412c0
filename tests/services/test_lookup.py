"""The lookup service: search over the database, the in-memory index kept current, cards."""

from __future__ import annotations

import json

from promisebot.db.uow import Database
from promisebot.services.evidence import EvidenceService
from promisebot.services.lookup import LookupService
from promisebot.services.trackers import TrackerService, load_demo
from tests.clock import FakeClock
from tests.services.test_evidence import editor_permissions


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
