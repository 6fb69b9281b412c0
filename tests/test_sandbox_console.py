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
