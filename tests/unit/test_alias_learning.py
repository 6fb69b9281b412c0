"""The rule that turns picks into a learned alias: two people, or one editor, and only when
the picks agree on one promise."""

from __future__ import annotations

from promisebot.domain import Pick, learned_promise


def reporter(promise_id: int, person: str) -> Pick:
    return Pick(promise_id, person, is_editor=False)


def editor(promise_id: int, person: str) -> Pick:
    return Pick(promise_id, person, is_editor=True)


def test_no_picks_teach_nothing() -> None:
    assert learned_promise([]) is None


def test_one_reporter_alone_teaches_nothing_however_often_they_pick() -> None:
    assert learned_promise([reporter(7, "U1")] * 5) is None


def test_two_different_reporters_teach_their_promise() -> None:
    assert learned_promise([reporter(7, "U1"), reporter(7, "U2")]) == 7


def test_an_editor_counts_double_so_one_editor_teaches() -> None:
    assert learned_promise([editor(7, "E1")]) == 7


def test_a_person_counts_once_per_promise_at_their_highest_weight() -> None:
    assert learned_promise([reporter(7, "E1"), editor(7, "E1"), reporter(7, "E1")]) == 7


def test_a_stray_pick_of_another_promise_neither_teaches_nor_blocks() -> None:
    picks = [reporter(7, "U1"), reporter(7, "U2"), reporter(9, "U3")]
    assert learned_promise(picks) == 7


def test_when_people_taught_different_promises_nothing_is_learned() -> None:
    picks = [reporter(7, "U1"), reporter(7, "U2"), reporter(9, "U3"), editor(9, "E1")]
    assert learned_promise(picks) is None


def test_one_person_picking_two_promises_counts_once_for_each() -> None:
    picks = [reporter(7, "U1"), reporter(9, "U1"), reporter(9, "U2")]
    assert learned_promise(picks) == 9
