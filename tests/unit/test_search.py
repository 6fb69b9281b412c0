"""Search ranking on a hand-built doc set and on the demo tracker, and the demo file's rules."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, timedelta
from importlib import resources
from itertools import pairwise
from typing import Any

import pytest

from promisebot.search import SearchDoc, SearchIndex, SearchResult, stem, words

RATINGS = (
    "Not Yet Rated",
    "In the Works",
    "Stalled",
    "Compromise",
    "Promise Kept",
    "Promise Broken",
)
SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
TODAY = date(2026, 11, 25)


def load_demo_rows() -> list[dict[str, Any]]:
    text = resources.files("promisebot").joinpath("data/demo_tracker.json").read_text("utf-8")
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def doc(key: int, external_id: str, title: str, description: str = "", *tags: str) -> SearchDoc:
    return SearchDoc(key, "gov-a", external_id, title, description, tags)


@pytest.fixture(scope="module")
def small() -> SearchIndex:
    return SearchIndex(
        [
            doc(1, "road-repair", "Repair every bridge in the state", "Fix crumbling overpasses."),
            doc(2, "school-meals", "Free lunch for all students", "Cafeterias serve breakfast."),
            doc(3, "ferry-service", "Restore the island ferry", "", "waterfront", "transit"),
            doc(4, "solar-roofs", "Put panels on public buildings", "Solar power for offices."),
            SearchDoc(5, "gov-b", "road-repair", "Pave rural highways", "Asphalt money.", ()),
            doc(6, "teacher-pay", "Raise teacher salaries", "Starting pay of $60,000."),
        ]
    )


@pytest.fixture(scope="module")
def demo() -> SearchIndex:
    return SearchIndex(
        SearchDoc(n, r["tracker"], r["id"], r["title"], r["description"], tuple(r["tags"]))
        for n, r in enumerate(load_demo_rows())
    )


def ids(result: SearchResult) -> list[str]:
    return [hit.doc.external_id for hit in result.hits]


def assert_match(result: SearchResult, external_id: str) -> None:
    assert result.kind == "match", result
    assert ids(result) == [external_id]


# --- exact ids -------------------------------------------------------------------------------


def test_exact_id_is_a_match_whatever_the_case(demo: SearchIndex) -> None:
    for query in ("police-liability", "  Police-Liability ", "POLICE_LIABILITY"):
        result = demo.search(query)
        assert_match(result, "police-liability")
        assert result.hits[0].score == 100.0


def test_tracker_and_id(demo: SearchIndex) -> None:
    result = demo.search("trump-2025/police-liability")
    assert_match(result, "police-liability")
    assert result.hits[0].doc.tracker == "trump-2025"


def test_unknown_tracker_path_falls_back_to_words(demo: SearchIndex) -> None:
    assert_match(demo.search("nowhere/police-liability"), "police-liability")


def test_id_in_two_trackers_is_ambiguous_until_the_tracker_is_given(small: SearchIndex) -> None:
    result = small.search("road-repair")
    assert result.kind == "ambiguous"
    assert sorted(hit.doc.tracker for hit in result.hits) == ["gov-a", "gov-b"]
    assert_match(small.search("gov-b/road-repair"), "road-repair")
    assert small.search("gov-b/road-repair").hits[0].doc.key == 5


# --- word matching ---------------------------------------------------------------------------


def test_title_words(demo: SearchIndex) -> None:
    assert_match(demo.search("police liability"), "police-liability")
    assert_match(demo.search("Make the 2017 tax cuts permanent"), "extend-tax-cuts")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("polise liabilty", "police-liability"),
        ("birthrite citizenship", "birthright-citizenship"),
        ("overtme pay", "no-tax-on-overtime"),
        ("missle defense", "iron-dome"),
    ],
)
def test_typos(demo: SearchIndex, query: str, expected: str) -> None:
    assert_match(demo.search(query), expected)


def test_plurals_and_stems(demo: SearchIndex) -> None:
    assert ids(demo.search("tariff")) == ids(demo.search("tariffs"))
    assert_match(demo.search("deport"), "mass-deportation")
    assert_match(demo.search("deportations"), "mass-deportation")
    assert_match(demo.search("library"), "library-sundays")
    assert stem("tariffs") == stem("tariff")
    assert stem("deportations") == stem("deported") == "deport"
    assert stem("policies") == "policy"
    assert stem("buses") == "bus"
    assert stem("housing") == stem("houses")


def test_partial_words(demo: SearchIndex) -> None:
    assert_match(demo.search("birthr"), "birthright-citizenship")
    assert_match(demo.search("mortgag"), "mortgage-rates")
    assert_match(demo.search("body cams"), "body-cameras")
    immig = demo.search("immig")
    assert immig.kind == "ambiguous"
    assert {"mass-deportation", "birthright-citizenship", "border-wall"} <= set(ids(immig))


def test_tag_words(small: SearchIndex) -> None:
    assert_match(small.search("waterfront"), "ferry-service")


def test_words_only_in_the_description(demo: SearchIndex, small: SearchIndex) -> None:
    assert_match(demo.search("golden dome"), "iron-dome")
    assert_match(demo.search("qualified immunity"), "police-liability")
    assert_match(demo.search("bytedance"), "save-tiktok")
    assert_match(small.search("cafeterias"), "school-meals")


def test_title_outranks_tags_outranks_description() -> None:
    index = SearchIndex(
        [
            doc(1, "in-description", "Other words", "A harbor plan."),
            doc(2, "in-tags", "More words", "", "harbor"),
            doc(3, "in-title", "Dredge the harbor", ""),
        ]
    )
    ranked = index.rank("harbor")
    assert [hit.doc.external_id for hit in ranked] == ["in-title", "in-tags", "in-description"]
    assert ranked[0].score > ranked[1].score > ranked[2].score


def test_shorthand(demo: SearchIndex) -> None:
    assert_match(demo.search("education dept"), "close-education-department")
    assert ids(demo.search("cops")) == ids(demo.search("police"))


def test_a_known_word_is_not_typo_corrected_into_another(demo: SearchIndex) -> None:
    assert "salt-deduction" not in ids(demo.search("education"))


# --- the decision ----------------------------------------------------------------------------


def test_two_close_candidates_are_ambiguous(demo: SearchIndex) -> None:
    result = demo.search("tariffs")
    assert result.kind == "ambiguous"
    assert set(ids(result)) == {"universal-tariff", "china-tariffs"}
    assert_match(demo.search("tariffs on china"), "china-tariffs")


def test_ambiguous_lists_at_most_five(demo: SearchIndex) -> None:
    result = demo.search("taxes")
    assert result.kind == "ambiguous"
    assert 2 <= len(result.hits) <= 5
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


def test_a_query_that_matches_several_promises_equally_is_not_a_match(demo: SearchIndex) -> None:
    result = demo.search("police")
    assert result.kind == "ambiguous"
    assert "police-liability" in ids(result)


def test_a_half_matched_query_is_offered_not_opened(demo: SearchIndex) -> None:
    result = demo.search("bicycle lanes")
    assert result.kind == "ambiguous"
    assert ids(result)[0] == "bus-lanes"


def test_nothing_matches_gives_none_with_suggestions(demo: SearchIndex) -> None:
    result = demo.search("hypersonic weapons testing")
    assert result.kind == "none"
    assert 1 <= len(result.hits) <= 3
    assert ids(result)[0] == "iron-dome"


def test_nothing_at_all_gives_none_without_suggestions(demo: SearchIndex) -> None:
    assert demo.search("xylophone quokka") == SearchResult("none", ())


@pytest.mark.parametrize("query", ["", "   ", "the of and", "promise", "?!", "a"])
def test_blank_or_stop_words_only(demo: SearchIndex, query: str) -> None:
    assert demo.search(query) == SearchResult("none", ())
    assert demo.rank(query) == []


def test_empty_index() -> None:
    index = SearchIndex([])
    assert len(index) == 0
    assert index.search("police") == SearchResult("none", ())


def test_rank_is_ordered_limited_and_puts_an_exact_id_first(demo: SearchIndex) -> None:
    ranked = demo.rank("police", limit=3)
    assert len(ranked) == 3
    assert [h.score for h in ranked] == sorted((h.score for h in ranked), reverse=True)
    assert all(0.0 <= h.score <= 100.0 for h in demo.rank("tax", limit=20))
    by_id = demo.rank("save-tiktok", limit=5)
    assert by_id[0].doc.external_id == "save-tiktok"
    assert by_id[0].score == 100.0
    assert len({h.doc.key for h in by_id}) == len(by_id)


def test_len_and_words(demo: SearchIndex) -> None:
    assert len(demo) == len(load_demo_rows())
    assert words("The Peña plan: no-tax-on TIPS, 5%") == ["pena", "plan", "tax", "tips", "5"]


# --- the demo tracker file -------------------------------------------------------------------


def test_demo_rows_have_the_tracker_file_keys() -> None:
    keys = {"tracker", "tracker_name", "id", "title", "description", "tags", "rating"}
    keys |= {"rated_on", "source_url", "evidence", "history", "tracker_subject"}
    for row in load_demo_rows():
        assert keys <= set(row) <= keys | {"due_on", "due_label"}, row["id"]
        assert isinstance(row["tags"], list)
        assert all(isinstance(tag, str) and tag for tag in row["tags"])
        assert row["title"].strip()
        assert row["source_url"].startswith("https://")


def test_demo_trackers_and_ids() -> None:
    rows = load_demo_rows()
    per_tracker = Counter(row["tracker"] for row in rows)
    assert per_tracker["trump-2025"] >= 15
    assert per_tracker["rivera-mayor"] >= 8
    for tracker in per_tracker:
        names = {(r["tracker_name"], r["tracker_subject"]) for r in rows if r["tracker"] == tracker}
        assert len(names) == 1, tracker
    pairs = [(row["tracker"], row["id"]) for row in rows]
    assert len(pairs) == len(set(pairs))
    assert all(SLUG.fullmatch(row["id"]) and SLUG.fullmatch(row["tracker"]) for row in rows)


def test_demo_ratings_dates_and_evidence() -> None:
    rows = load_demo_rows()
    assert {row["rating"] for row in rows} == set(RATINGS)
    for row in rows:
        date.fromisoformat(row["rated_on"])
        for item in row["evidence"]:
            assert set(item) == {"url", "title", "publisher", "published_on", "note"}
            assert item["url"].startswith("https://")
            date.fromisoformat(item["published_on"])
    long_stalled = [
        row
        for row in rows
        if row["rating"] == "Stalled"
        and date.fromisoformat(row["rated_on"]) < TODAY - timedelta(days=30)
    ]
    assert len(long_stalled) >= 3


def test_demo_histories_are_consistent() -> None:
    for row in load_demo_rows():
        history = row["history"]
        if not history:
            assert row["rating"] == "Not Yet Rated", row["id"]
            continue
        assert history[0]["from"] == "Not Yet Rated", row["id"]
        for step in history:
            assert set(step) == {"from", "to", "effective_on", "rationale"}
            assert step["from"] in RATINGS and step["to"] in RATINGS
            assert step["from"] != step["to"]
            assert step["rationale"].strip()
        for before, after in pairwise(history):
            assert before["to"] == after["from"], row["id"]
            assert before["effective_on"] < after["effective_on"], row["id"]
        assert history[-1]["to"] == row["rating"], row["id"]
        assert history[-1]["effective_on"] == row["rated_on"], row["id"]
        for step in history:
            date.fromisoformat(step["effective_on"])


def test_demo_police_liability_follows_the_reference_story() -> None:
    (row,) = [r for r in load_demo_rows() if r["id"] == "police-liability"]
    assert row["tracker"] == "trump-2025"
    assert row["rating"] == "Stalled"
    assert row["rated_on"].startswith("2025-10-")
    steps = [(h["from"], h["to"], h["effective_on"][:7]) for h in row["history"]]
    assert steps == [
        ("Not Yet Rated", "In the Works", "2025-04"),
        ("In the Works", "Stalled", "2025-10"),
    ]
    published = sorted(item["published_on"][:7] for item in row["evidence"])
    assert published == ["2025-03", "2025-04", "2025-04"]
