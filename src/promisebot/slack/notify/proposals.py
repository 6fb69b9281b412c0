"""Post-commit Slack updates for proposals: the root posted or re-rendered, thread notes, the
announcement, stale siblings. Best effort: a failed call is logged and loses nothing, since
each root is a rendering of the database (`ProposalService.get`) that the next event redoes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from slack_sdk.errors import SlackApiError

from promisebot.services.proposals import ProposalService, ProposalView, ReviewResult
from promisebot.settings import Settings
from promisebot.slack.blocks import proposals as render
from promisebot.slack.blocks.common import Message
from promisebot.slack.messenger import Messenger, Posted

log = logging.getLogger(__name__)

# Render-and-write rounds per root update; a further round is needed only when another
# process changed the proposal while this one was writing.
MAX_SYNC_ROUNDS = 4
ROOT_LOCK_STRIPES = 64


class ProposalNotifier:
    def __init__(
        self, proposals: ProposalService, settings: Settings, messenger: Messenger
    ) -> None:
        self._proposals = proposals
        self._messenger = messenger
        self._tz = settings.tz
        self._announce_channel = settings.announce_channel
        # Striped rather than one per proposal: bounded, and collisions only serialise.
        self._root_locks = [threading.Lock() for _ in range(ROOT_LOCK_STRIPES)]

    # -- a new proposal ---------------------------------------------------------------------

    def publish_new(self, proposal: ProposalView, *, origin_channel: str | None) -> None:
        """Post the thread root, record it, and send the proposer a link to it."""
        self.tell_proposer(proposal, self.post_root(proposal), origin_channel=origin_channel)

    def tell_proposer(
        self,
        proposal: ProposalView,
        attached: ProposalView | None,
        *,
        origin_channel: str | None,
        response_url: str | None = None,
    ) -> None:
        """A link to the posted root, or, when it was not posted, what the proposer can do."""
        proposer = proposal.proposed_by
        if attached is None or not (attached.channel_id and attached.message_ts):
            self._messenger.tell(
                proposer,
                render.unposted_notice(proposal),
                channel=origin_channel,
                response_url=response_url,
            )
            return
        permalink = self._messenger.permalink(attached.channel_id, attached.message_ts)
        message = render.posted_confirmation(attached, permalink)
        self._messenger.tell(proposer, message, channel=origin_channel, response_url=response_url)

    def post_unposted(self, proposal_id: int, *, channel: str | None = None) -> ProposalView | None:
        """Post an open proposal's root now if it was never posted (the *Post for review*
        button; a background sweep may share it): in `channel`, else where it was meant to
        go. The proposal as it now stands, or None when Slack refused again. Serialised
        with root updates of the same proposal in this process, so two presses post once."""
        with self._root_locks[proposal_id % len(self._root_locks)]:
            proposal = self._proposals.get(proposal_id)
            if proposal.message_ts or not proposal.is_open:
                return proposal
            return self.post_root(proposal, channel=channel)

    def post_root(
        self, proposal: ProposalView, *, channel: str | None = None
    ) -> ProposalView | None:
        # With neither a review channel nor an origin channel (e.g. App Home), the
        # proposer's DM is the only place left to hold the thread.
        channel = channel or proposal.post_channel or proposal.proposed_by
        where = channel
        posted = self._call(
            f"posting proposal {proposal.id}",
            lambda: self._messenger.post(where, render.root_message(proposal, self._tz)),
        )
        if not isinstance(posted, Posted):
            return None
        try:
            return self._proposals.attach_message(proposal.id, posted.channel, posted.ts)
        except Exception:
            log.exception("proposal %s: posted at %s but not recorded", proposal.id, posted.ts)
            return None

    # -- after a review or a withdrawal -----------------------------------------------------

    def after_review(self, result: ReviewResult) -> None:
        proposal = result.proposal
        self.thread_note(proposal, render.review_ack(result, self._tz))
        self.sync_root(proposal)
        if result.applied:
            self.announce(proposal)
        for other in result.staled:
            self.sync_root(other)

    def after_withdraw(self, proposal: ProposalView) -> None:
        self.thread_note(proposal, render.withdrawn_note(proposal))
        self.sync_root(proposal)

    def heal(self, proposal_id: int) -> None:
        """Someone acted on an outdated root (a failed update left its buttons): re-render."""
        try:
            proposal = self._proposals.get(proposal_id)
        except Exception:
            log.warning("proposal %s: could not re-read it to re-render", proposal_id)
            return
        self.sync_root(proposal)

    # -- building blocks --------------------------------------------------------------------

    def sync_root(self, proposal: ProposalView) -> None:
        """Make the root show the proposal's state as the database has it now.

        Concurrent reviews of one proposal finish in any order, so each update renders a
        fresh read rather than the state its own review produced: under a per-proposal lock
        in this process, and re-read after writing so that a write from another process
        (another replica) that lands in between is corrected too.
        """
        channel, ts = proposal.channel_id, proposal.message_ts
        if not channel or not ts:
            return
        with self._root_locks[proposal.id % len(self._root_locks)]:
            shown: Message | None = None
            for _ in range(MAX_SYNC_ROUNDS):
                try:
                    latest = self._proposals.get(proposal.id)
                except Exception:
                    log.warning("proposal %s: could not re-read it", proposal.id, exc_info=True)
                    if shown is not None:
                        return
                    latest = proposal  # committed already; better than nothing
                message = render.root_message(latest, self._tz)
                if message == shown:
                    return
                done = self._call(
                    f"updating proposal {proposal.id}'s root",
                    partial(self._messenger.update, channel, ts, message),
                )
                if done is _FAILED:
                    return
                shown = message

    def thread_note(self, proposal: ProposalView, message: Message) -> None:
        if proposal.channel_id and proposal.message_ts:
            channel, ts = proposal.channel_id, proposal.message_ts
            self._call(
                f"replying in proposal {proposal.id}'s thread",
                lambda: self._messenger.post(channel, message, thread_ts=ts),
            )

    def announce(self, proposal: ProposalView) -> None:
        channel = self._announce_channel
        if not channel:
            return
        thread = None
        if proposal.channel_id and proposal.message_ts:
            thread = self._messenger.permalink(proposal.channel_id, proposal.message_ts)
        message = render.announcement(proposal, self._tz, thread_link=thread)
        self._call(
            f"announcing proposal {proposal.id}", lambda: self._messenger.post(channel, message)
        )

    def _call(self, what: str, call: Callable[[], object]) -> object:
        """Run one Slack call (the client has already retried 429s and 500/503s)."""
        try:
            return call()
        except SlackApiError as error:
            log.error("%s failed: %s", what, error.response.get("error"))
        except Exception as error:
            log.error("%s failed: %s: %s", what, type(error).__name__, error)
        return _FAILED


_FAILED = object()
