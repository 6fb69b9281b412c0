"""`promisebot sandbox -c …` runs the real app against the fake Slack and prints what it posts."""

from __future__ import annotations

from pathlib import Path

import pytest

from promisebot.cli import main


def test_sandbox_runs_commands_and_presses_buttons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "sandbox.db"
    code = main(
        ["sandbox", "--database", str(database), "-c", "/promise police liability", "-c", "1"]
    )

    assert code == 0
    out = capsys.readouterr().out
    assert "Increase liability protections for police officers" in out
    assert "[1] Share in channel" in out
    assert "posted to C_NEWSROOM" in out  # button 1 shared the card
    assert "Shared by @U_ALICE" in out


def test_sandbox_walks_a_proposal_through_review(tmp_path: Path) -> None:
    from promisebot.sandbox.console import open_sandbox, step

    answers = iter(["1", "The crime bill passed the House.", "", ""])

    def ask(prompt: str) -> str:
        return next(answers)

    with open_sandbox(tmp_path / "sandbox.db") as sandbox:
        opened = step(sandbox, "/promise propose police-liability", ask)
        assert any("posted to C_NEWSROOM" in line for line in opened), opened
        step(sandbox, "as U_BOB", ask)
        step(sandbox, "reply approve", ask)
        step(sandbox, "as U_CARLA", ask)
        applied = step(sandbox, "reply lgtm", ask)

    assert any("Rating changed" in line for line in applied), applied


def test_sandbox_sets_a_deadline_and_lists_the_demos_overdue_promise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "sandbox.db"
    commands = [
        "/promise due border-wall 2999-12-31 end of the millennium",
        "/promise list overdue",
    ]
    code = main(["sandbox", "--database", str(database), *(f"-c{c}" for c in commands)])

    assert code == 0
    out = capsys.readouterr().out
    assert "Deadline set: *Finish the wall on the southern border*" in out
    assert "on Dec 31, 2999 (end of the millennium)" in out
    # The demo's overdue promise is far enough in the past to stay overdue on any day.
    assert "Close the Department of Education" in out
    assert "due Apr 29, 2025 (first 100 days) · overdue by" in out


def test_sandbox_shows_a_followers_direct_message(tmp_path: Path) -> None:
    from promisebot.sandbox.console import open_sandbox, step

    answers = iter(["5", "Signed <b>into</b> law.", "", ""])

    def ask(prompt: str) -> str:
        return next(answers)

    with open_sandbox(tmp_path / "sandbox.db") as sandbox:
        step(sandbox, "as U_DAN", ask)
        followed = step(sandbox, "/promise follow police-liability", ask)
        assert any("You now follow" in line for line in followed), followed
        step(sandbox, "as U_ALICE", ask)
        step(sandbox, "/promise propose police-liability", ask)
        step(sandbox, "as U_BOB", ask)
        step(sandbox, "reply approve", ask)
        step(sandbox, "as U_CARLA", ask)
        applied = step(sandbox, "reply lgtm", ask)

    dm = applied[applied.index("direct message to U_DAN (the app's Messages tab):") :]
    shown = "\n".join(dm)
    assert "Rating changed" in shown and "Increase liability protections" in shown
    assert "Signed <b>into</b> law." in shown  # escaped for Slack, shown as typed


def test_sandbox_unfurls_a_promise_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = (
        "https://www.politifact.com/truth-o-meter/promises/trump-o-meter-second-term/promise/"
        "border-wall/"
    )
    code = main(["sandbox", "--database", str(tmp_path / "s.db"), "-c", f"unfurl {page}"])

    assert code == 0
    out = capsys.readouterr().out
    assert f"preview of {page}" in out
    assert "Finish the wall" in out
    assert "Look up" in out


def test_sandbox_adds_evidence_from_the_last_message(tmp_path: Path) -> None:
    from promisebot.sandbox.console import open_sandbox, step

    # Promise search, its number, the link (kept), title, publisher, date, note (kept).
    answers = iter(["border-wall", "1", "", "", "Example News", "", ""])

    def ask(prompt: str) -> str:
        return next(answers)

    with open_sandbox(tmp_path / "sandbox.db") as sandbox:
        step(sandbox, "say Construction resumed: https://news.example.com/wall-resumes", ask)
        lines = step(sandbox, "shortcut evidence", ask)

    assert any("Added as evidence to *Finish the wall" in line for line in lines), lines


def test_sandbox_looks_a_promise_up_by_shortcut(tmp_path: Path) -> None:
    from promisebot.sandbox.console import open_sandbox, step

    answers = iter(["police liab", "1", "C_NEWSROOM"])

    def ask(prompt: str) -> str:
        return next(answers)

    with open_sandbox(tmp_path / "sandbox.db") as sandbox:
        lines = step(sandbox, "shortcut lookup", ask)
        missing = step(sandbox, "as U_DAN", ask) + step(sandbox, "shortcut propose", None)

    assert any("views.open: Look up a promise" in line for line in lines), lines
    assert any("posted to C_NEWSROOM" in line for line in lines), lines
    assert any("Shared by" in line for line in lines), lines
    assert any("editor" in line.lower() for line in missing), missing
