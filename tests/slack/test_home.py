"""App Home through the real HTTP endpoint: `app_home_opened` → `views.publish`, for editors
and readers, with the demo tracker and with 10,000 promises."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from promisebot.db.models import Promise, Proposal, RatingChange, Review, Tracker
from promisebot.db.uow import Database
from promisebot.domain import ProposalStatus, Rating, Verdict
from tests.blocks import assert_valid_view, strings
from tests.slack.bot import EDITORS, REPORTER, Bot

EDITOR = EDITORS[0]
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # FakeClock's start


def open_home(bot: Bot, user: str) -> dict[str, Any]:
    before = len(bot.fake.calls("views.publish"))
    assert bot.driver.event(bot.driver.app_home_opened_event(user)).status_code == 200
    published = bot.fake.wait_for("views.publish", count=before + 1)[-1]
    assert published.args["user_id"] == user
    view: dict[str, Any] = published.args["view"]
    assert view["type"] == "home"
    assert_valid_view(view)
    return view


def texts(view: dict[str, Any]) -> str:
    return "\n".join(text for key, text in strings(view["blocks"]) if key == "text")


def section_after(view: dict[str, Any], heading: str) -> str:
    """The first section's text after the header `heading`."""
    blocks = view["blocks"]
    start = next(
        i for i, b in enumerate(blocks) if b["type"] == "header" and b["text"]["text"] == heading
    )
    return str(next(b["text"]["text"] for b in blocks[start:] if b["type"] == "section"))


def add_proposal(
    db: Database,
    external_id: str,
    proposer: str,
    *,
    status: ProposalStatus = ProposalStatus.OPEN,
    ts: str = "1700000000.000200",
    reviewers: tuple[str, ...] = (),
) -> int:
    with db.transaction() as uow:
        promise = uow.session.scalars(
            select(Promise).where(Promise.external_id == external_id)
        ).one()
        proposal = Proposal(
            promise_id=promise.id,
            from_rating=promise.current_rating,
            to_rating=Rating.PROMISE_BROKEN,
            rationale="Dropped from the budget",
            evidence_links=[],
            proposed_by=proposer,
            approvals_required=2,
            status=status,
            channel_id="C_REVIEW",
            message_ts=ts,
            created_at=NOW - timedelta(days=1),
        )
        uow.session.add(proposal)
        uow.session.flush()
        for reviewer in reviewers:
            uow.session.add(
                Review(
                    proposal_id=proposal.id,
                    reviewer=reviewer,
                    verdict=Verdict.APPROVE,
                    reviewed_at=NOW,
                )
            )
        proposal_id = proposal.id
        uow.commit()
    return proposal_id


def test_reader_sees_scorecards_stalled_and_latest_changes(bot: Bot) -> None:
    with bot.db.transaction() as uow:
        uow.session.execute(
            update(Promise)
            .where(Promise.external_id == "police-liability")
            .values(snoozed_until=NOW + timedelta(days=7))
        )
        uow.commit()

    view = open_home(bot, REPORTER)

    text = texts(view)
    assert "Scorecards" in text
    assert "trump-2025" in text and "rivera-mayor" in text
    assert "▇" in text
    assert "Waiting for your review" not in text  # readers review nothing
    assert "more tracker" not in text
    stalled = section_after(view, "Longest stalled")
    lines = stalled.splitlines()
    assert len(lines) == 6  # every Stalled promise of the demo, longest first
    assert "rivera-mayor/rent-cap" in lines[0]
    assert "rivera-mayor/police-oversight-board" in lines[-1]
    liability = next(line for line in lines if "police-liability" in line)
    assert "snoozed until Dec 2, 2026" in liability
    changes = section_after(view, "Latest rating changes")
    assert "police-oversight-board" in changes.splitlines()[0]
    assert len(changes.splitlines()) == 10


def test_scorecard_counts_and_bars(bot: Bot) -> None:
    text = section_after(open_home(bot, REPORTER), "Scorecards")
    # The largest tracker comes first: trump-2025 has 22 promises, 4 of them Stalled.
    assert "`trump-2025` · 22 promises" in text
    stalled = next(line for line in text.splitlines() if "Stalled:" in line)
    assert stalled.endswith("Stalled: *4*")
    assert stalled.startswith("`▇▇░░░░░░░░░░`")  # 4/22 of 12 cells


def review_entries(view: dict[str, Any]) -> list[str]:
    """The sections under "Waiting for your review" (up to the next divider)."""
    blocks = view["blocks"]
    start = next(
        i
        for i, b in enumerate(blocks)
        if b["type"] == "header" and b["text"]["text"] == "Waiting for your review"
    )
    entries = []
    for block in blocks[start + 1 :]:
        if block["type"] == "divider":
            break
        if block["type"] == "section":
            entries.append(str(block["text"]["text"]))
    return entries


def test_editor_sees_proposals_waiting_for_their_review(bot: Bot) -> None:
    add_proposal(bot.db, "police-liability", EDITORS[1])
    add_proposal(bot.db, "border-wall", EDITOR, ts="1700000000.000300")  # the viewer's own
    add_proposal(bot.db, "rent-cap", EDITORS[1], ts="1700000000.000400", reviewers=(EDITOR,))
    add_proposal(
        bot.db, "bus-lanes", EDITORS[2], ts="1700000000.000500", status=ProposalStatus.APPROVED
    )

    [entry] = review_entries(open_home(bot, EDITOR))

    assert "*Increase liability protections for police officers*" in entry
    assert "(`trump-2025/police-liability`)" in entry
    assert ":large_yellow_circle: Stalled → :red_circle: *Promise Broken*" in entry
    assert f"proposed by <@{EDITORS[1]}> on Nov 24, 2026" in entry
    assert "0/2 approvals" in entry
    link = "<https://example.slack.com/archives/C_REVIEW/p1700000000000200|Open the thread>"
    assert link in entry
    # Each editor sees what they neither proposed nor reviewed.
    third = review_entries(open_home(bot, EDITORS[2]))
    assert [("police-liability" in e, "border-wall" in e, "rent-cap" in e) for e in third] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    [own] = review_entries(open_home(bot, EDITORS[1]))
    assert "trump-2025/border-wall" in own


def test_editor_with_nothing_to_review_is_told_so(bot: Bot) -> None:
    assert review_entries(open_home(bot, EDITOR)) == []
    assert "Nothing is waiting for you" in texts(open_home(bot, EDITOR))


def test_messages_tab_is_left_alone(bot: Bot) -> None:
    event = bot.driver.app_home_opened_event(EDITOR) | {"tab": "messages"}
    assert bot.driver.event(event).status_code == 200
    time.sleep(0.3)  # the event is handled after the ack; give a wrong publish time to land
    open_home(bot, REPORTER)
    [published] = bot.fake.calls("views.publish")
    assert published.args["user_id"] == REPORTER


def add_many(db: Database, *, trackers: int, promises: int, proposals: int) -> None:
    """Bulk rows: `promises` spread over `trackers`, a rating change for every second one,
    and open proposals by another editor; hostile text in the names."""
    with db.transaction() as uow:
        session = uow.session
        session.execute(
            insert(Tracker),
            [
                {
                    "slug": f"bulk-{n:03d}",
                    "name": f"Bulk <!channel> & tracker {n}",
                    "subject": "Someone <@U123>",
                }
                for n in range(trackers)
            ],
        )
        tracker_ids = list(session.scalars(select(Tracker.id).where(Tracker.slug.like("bulk-%"))))
        ratings = list(Rating)
        session.execute(
            insert(Promise),
            [
                {
                    "tracker_id": tracker_ids[n % trackers],
                    "external_id": f"bulk-{n}",
                    "title": f"Promise {n} <!here> & " + "long " * 50,
                    "current_rating": ratings[n % len(ratings)],
                    "rated_at": NOW - timedelta(days=n % 1500),
                    "last_reviewed_at": NOW - timedelta(days=n % 1500),
                    "snoozed_until": None,
                }
                for n in range(promises)
            ],
        )
        promise_ids = list(
            session.scalars(select(Promise.id).where(Promise.external_id.like("bulk-%")))
        )
        session.execute(
            insert(RatingChange),
            [
                {
                    "promise_id": promise_id,
                    "from_rating": Rating.NOT_YET_RATED,
                    "to_rating": Rating.STALLED,
                    "effective_at": NOW - timedelta(hours=n),
                    "rationale": "",
                    "proposed_by": "",
                    "approved_by": [],
                    "proposal_id": None,
                }
                for n, promise_id in enumerate(promise_ids[::2])
            ],
        )
        session.execute(
            insert(Proposal),
            [
                {
                    "promise_id": promise_ids[n],
                    "from_rating": Rating.STALLED,
                    "to_rating": Rating.PROMISE_BROKEN,
                    "rationale": "Dropped",
                    "evidence_links": [],
                    "proposed_by": EDITORS[1],
                    "approvals_required": 2,
                    "status": ProposalStatus.OPEN,
                    "channel_id": "C_REVIEW",
                    "message_ts": f"1700000000.{n:06d}",
                    "created_at": NOW - timedelta(minutes=n),
                    "decided_at": None,
                    "decided_by": None,
                }
                for n in range(proposals)
            ],
        )
        uow.commit()


@pytest.mark.parametrize("viewer", [EDITOR, REPORTER])
def test_home_stays_within_limits_with_10000_promises(
    make_bot: Callable[..., Bot], viewer: str
) -> None:
    bot = make_bot()
    add_many(bot.db, trackers=40, promises=10_000, proposals=60)

    view = open_home(bot, viewer)  # validates the blocks and the 100-block limit

    text = texts(view)
    assert "and 36 more trackers" in text  # 42 trackers, 6 shown
    assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt;" in text
    stalled = sum(1 for n in range(10_000) if n % len(Rating) == list(Rating).index(Rating.STALLED))
    assert f"{stalled + 6} promises rated Stalled in all" in text  # the demo has 6
    assert len(section_after(view, "Longest stalled").splitlines()) == 10
    assert len(section_after(view, "Latest rating changes").splitlines()) == 10
    if viewer == EDITOR:
        assert "and 50 more, oldest first" in text
        assert len(bot.fake.calls("chat.getPermalink")) == 10
    else:
        assert "Waiting for your review" not in text
        assert bot.fake.calls("chat.getPermalink") == []
