"""The rating scale: names, order, forgiving parsing, helpful errors."""

from __future__ import annotations

import pytest

from promisebot.domain import RATING_INFO, Rating, UnknownRating, parse_rating, url_problem


def test_scale_order_and_labels_follow_the_design() -> None:
    assert [rating.label for rating in Rating] == [
        "Not Yet Rated",
        "In the Works",
        "Stalled",
        "Compromise",
        "Promise Kept",
        "Promise Broken",
    ]
    assert all(info.emoji and info.colour.startswith("#") for info in RATING_INFO.values())
    assert len({info.emoji for info in RATING_INFO.values()}) == len(Rating)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Promise Kept", Rating.PROMISE_KEPT),
        ("promise kept", Rating.PROMISE_KEPT),
        ("KEPT", Rating.PROMISE_KEPT),
        ("broken", Rating.PROMISE_BROKEN),
        ("in the works", Rating.IN_THE_WORKS),
        ("in-the-works", Rating.IN_THE_WORKS),
        ("In_The_Works", Rating.IN_THE_WORKS),
        (" stalled ", Rating.STALLED),
        ("not yet rated", Rating.NOT_YET_RATED),
        ("compromise", Rating.COMPROMISE),
    ],
)
def test_parse_rating_is_forgiving(text: str, expected: Rating) -> None:
    assert parse_rating(text) is expected


def test_unknown_rating_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownRating) as raised:
        parse_rating("Kinda Kept")
    message = str(raised.value)
    assert "'Kinda Kept' is not one of" in message
    assert all(rating.label in message for rating in Rating)


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.com/x", "https://", "http://local host/x", "x" * 3000],
)
def test_bad_evidence_urls_are_refused(url: str) -> None:
    assert url_problem(url) is not None


def test_good_evidence_url() -> None:
    assert url_problem("https://www.congress.gov/bill/119th-congress/house-bill/1") is None
