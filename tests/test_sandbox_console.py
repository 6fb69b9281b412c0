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
