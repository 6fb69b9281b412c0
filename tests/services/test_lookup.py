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
    index = lookup._index

    EvidenceService(db, clock, editor_permissions(clock, "U_ED1")).add(
        promise_id=promise.id, url="https://news.example/new", actor="U_ED1"
    )
    result = lookup.search("police liability")

    assert lookup._index is index
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


def _page_rows(url: str) -> str:
    rows = json.loads(_rows("Plant ten thousand street trees"))
    rows[0]["source_url"] = url
    return json.dumps(rows)


def test_a_promise_is_found_by_its_page_as_imports_change_it(db: Database) -> None:
    clock = FakeClock()
    lookup = LookupService(db, clock)
    trackers = TrackerService(db, clock)
    trackers.import_text(_page_rows("https://www.city.example/promises/parks/"), "json")
    shared = "http://city.example/promises/parks?ref=slack#top"
    assert lookup.cards_for_pages([shared])[shared].external_id == "parks"

    # A re-import updates the row through the ORM: the key follows the new page.
    trackers.import_text(_page_rows("https://city.example/tracker/parks-and-trees"), "json")

    assert lookup.cards_for_pages([shared]) == {}
    moved = "https://www.city.example/tracker/parks-and-trees/"
    assert lookup.cards_for_pages([moved, "https://city.example/nope"]).keys() == {moved}


def test_suggestions_are_ranked_choices_and_nothing_for_blank_text(db: Database) -> None:
    load_demo(db)
    lookup = LookupService(db, FakeClock())

    [first, *rest] = lookup.suggest("border-wall", 5)

    assert (first.tracker, first.external_id) == ("trump-2025", "border-wall")
    assert len(rest) <= 4
    assert lookup.suggest("   ") == ()
    assert len(lookup.suggest("police " * 500, 100)) <= 100
