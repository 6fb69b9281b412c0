"""Rendering of a proposal in its thread: the root in each status, thread acknowledgements,
the announcement and the short answers to whoever acted (the modals are in
`proposal_modals`). Pure functions of the service's views.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from promisebot.domain import ProposalStatus
from promisebot.services.proposals import ProposalView, ReviewResult
from promisebot.slack.blocks.common import (
    MAX_TEXT,
    Act,
    Block,
    Message,
    actions,
    button,
    context,
    escape,
    fit,
    format_day,
    link,
    plural,
    section,
    truncate,
)
from promisebot.slack.blocks.deadlines import due_text

RATIONALE_SHOWN = 2600
EVIDENCE_SHOWN = MAX_TEXT - 100
REASON_SHOWN = 600

PROPOSE_USAGE = "Usage: `/promise propose <words or id>`, e.g. `/promise propose police-liability`."


# -- the thread root ----------------------------------------------------------------------


def root_message(proposal: ProposalView, tz: ZoneInfo) -> Message:
    """The proposal as it stands: the review buttons while open, the outcome once closed."""
    p = proposal
    blocks: list[Block] = [
        section(f"{_STATUS_ICON[p.status]} *{_STATUS_TITLE[p.status]}*: {_promise(p)}"),
        context(
            f"{escape(p.tracker_name)} · `{escape(p.tracker_slug)}/{escape(p.promise_external_id)}`"
        ),
        section(
            change_line(p) + (f"\nEffective {format_day(p.effective_on)}" if p.effective_on else "")
        ),
    ]
    if p.deadline is not None and p.deadline.days_overdue is not None:
        blocks.append(
            context(f":alarm_clock: This promise is past its deadline: {due_text(p.deadline)}")
        )
    blocks += [
        section("*Rationale*\n" + escape(truncate(p.rationale, RATIONALE_SHOWN))),
    ]
    if p.links:
        blocks.append(section(_evidence(p.links)))
    blocks.append(context(_progress(p, tz)))
    outcome = _outcome(p, tz)
    if outcome:
        blocks.append(section(outcome))
    if p.is_open:
        blocks.append(
            context(
                "Review with the buttons, or reply in this thread: "
                "`approve` or `reject &lt;reason&gt;`."
            )
        )
    buttons = None
    if p.is_open:
        value = str(p.id)
        buttons = actions(
            button("Approve", Act.APPROVE, value, style="primary"),
            button("Reject", Act.REJECT, value, style="danger"),
            button("Withdraw", Act.WITHDRAW, value),
            block_id=f"proposal:{p.id}",
        )
    text = (
        f"{_STATUS_TITLE[p.status]}: {p.promise_title}: {p.from_rating.label} → {p.to_rating.label}"
    )
    return Message(escape(text), fit(blocks, tail=buttons))


def _evidence(links: tuple[str, ...]) -> str:
    """The links, whole: a cut inside `<url|label>` would break the markup, so the list
    stops before the line that would not fit and says how many are left out."""
    text = "*Evidence*"
    for shown, url in enumerate(links):
        line = f"\n• {link(url, truncate(url, 150))}"
        if len(text) + len(line) > EVIDENCE_SHOWN:
            return text + f"\n_and {len(links) - shown} more_"
        text += line
    return text


_STATUS_TITLE = {
    ProposalStatus.OPEN: "Rating change proposed",
    ProposalStatus.APPROVED: "Rating changed",
    ProposalStatus.REJECTED: "Rating change rejected",
    ProposalStatus.WITHDRAWN: "Rating change withdrawn",
    ProposalStatus.STALE: "Rating change stale",
    ProposalStatus.EXPIRED: "Rating change expired",
}
_STATUS_ICON = {
    ProposalStatus.OPEN: ":scales:",
    ProposalStatus.APPROVED: ":white_check_mark:",
    ProposalStatus.REJECTED: ":x:",
    ProposalStatus.WITHDRAWN: ":leftwards_arrow_with_hook:",
    ProposalStatus.STALE: ":warning:",
    ProposalStatus.EXPIRED: ":hourglass:",
}


def _promise(p: ProposalView) -> str:
    return f"*{escape(truncate(p.promise_title, 200))}*"


def change_line(p: ProposalView) -> str:
    return (
        f"{p.from_rating.emoji} {p.from_rating.label} → {p.to_rating.emoji} *{p.to_rating.label}*"
    )


def _users(users: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"<@{escape(user)}>" for user in users)


def approval_count(p: ProposalView) -> str:
    """`1/2 approvals`, and where the proposal stands on a senior editor's approval when it
    needs one: `2/2 approvals · waiting for a senior editor`."""
    count = f"{p.approvals}/{p.approvals_required} approvals"
    if not p.senior_required:
        return count
    if p.senior_approvers:
        return f"{count}, one from a senior editor"
    if p.waiting_for_senior:
        return f"{count} · waiting for a senior editor"
    return f"{count} · one must be from a senior editor"


def _approvers(p: ProposalView) -> str:
    return ", ".join(
        f"<@{escape(user)}>" + (" (senior)" if user in p.senior_approvers else "")
        for user in p.approvers
    )


def _progress(p: ProposalView, tz: ZoneInfo) -> str:
    parts = [f"Proposed by <@{escape(p.proposed_by)}> on {format_day(p.created_at, tz)}"]
    approved = f"{p.approvals}/{p.approvals_required} approvals"
    parts.append(f"{approved}: {_approvers(p)}" if p.approvers else approved)
    if p.senior_required and p.is_open and not p.senior_approvers:
        parts.append(
            "waiting for a senior editor"
            if p.waiting_for_senior
            else "one approval must be a senior editor's"
        )
    if p.is_open:
        parts.append(f"expires {format_day(p.expires_at, tz)}")
    return " · ".join(parts)


def _outcome(p: ProposalView, tz: ZoneInfo) -> str:
    when = format_day(p.decided_at, tz) if p.decided_at else ""
    match p.status:
        case ProposalStatus.APPROVED:
            change = p.rating_change
            effective = f", effective {format_day(change.effective_at, tz)}" if change else ""
            return (
                f"*Approved* by {_users(p.approvers)}: the promise is now rated "
                f"{p.to_rating.emoji} *{p.to_rating.label}*{effective}."
            )
        case ProposalStatus.REJECTED:
            who = f" by <@{escape(p.rejected_by)}>" if p.rejected_by else ""
            reason = escape(truncate(p.rejection_reason, REASON_SHOWN))
            return f"*Rejected*{who} on {when}: {reason}" if reason else f"*Rejected*{who}."
        case ProposalStatus.WITHDRAWN:
            return f"*Withdrawn* by <@{escape(p.proposed_by)}> on {when}."
        case ProposalStatus.STALE:
            return (
                f"*Stale*: the promise is now rated {p.current_rating.emoji} "
                f"*{p.current_rating.label}*, not {p.from_rating.label} as when this was "
                "proposed. Nothing was changed; propose again if a change is still needed."
            )
        case ProposalStatus.EXPIRED:
            return f"*Expired* on {when} without enough approvals. Nothing was changed."
        case _:
            return ""


# -- thread notes, announcement, answers ---------------------------------------------------


def review_ack(result: ReviewResult, tz: ZoneInfo) -> Message:
    """The thread reply acknowledging one counted review (and what it did)."""
    p = result.proposal
    who = f"<@{escape(result.reviewer)}>"
    count = approval_count(p)
    if p.status is ProposalStatus.REJECTED:
        reason = escape(truncate(p.rejection_reason, REASON_SHOWN))
        text = f":x: {who} rejected this proposal: {reason}\nIt is closed; nothing was changed."
    elif result.applied and result.applied_change is not None:
        change = result.applied_change
        text = (
            f":white_check_mark: {who} approved ({count}).\n*Rating changed:* "
            f"{change.from_rating.label} → *{change.to_rating.label}*, effective "
            f"{format_day(change.effective_at, tz)}."
        )
        if result.added_evidence:
            text += f" {plural(len(result.added_evidence), 'link')} added as evidence."
        if result.staled:
            text += f" {plural(len(result.staled), 'other open proposal')} went stale."
    elif result.went_stale:
        text = (
            f":warning: {who} approved ({count}), but the promise is already rated "
            f"*{p.current_rating.label}*, so this proposal is stale and nothing was changed."
        )
    else:
        text = f":+1: {who} approved ({count})."
    return Message(_plain(text), [section(text)])


def withdrawn_note(proposal: ProposalView) -> Message:
    text = f":leftwards_arrow_with_hook: <@{escape(proposal.proposed_by)}> withdrew this proposal."
    return Message(_plain(text), [section(text)])


def announcement(proposal: ProposalView, tz: ZoneInfo, *, thread_link: str | None) -> Message:
    """ "Rating changed: <promise>: Stalled → Promise Broken", for the announcement channel."""
    p = proposal
    change = p.rating_change
    head = (
        f"*Rating changed:* {_promise(p)}: {p.from_rating.label} → "
        f"{p.to_rating.emoji} *{p.to_rating.label}*"
    )
    details = [f"`{escape(p.tracker_slug)}/{escape(p.promise_external_id)}`"]
    if change is not None:
        details.append(f"effective {format_day(change.effective_at, tz)}")
    details.append(f"proposed by <@{escape(p.proposed_by)}>, approved by {_users(p.approvers)}")
    if thread_link:
        details.append(link(thread_link, "discussion"))
    text = f"Rating changed: {p.promise_title}: {p.from_rating.label} → {p.to_rating.label}"
    return Message(
        escape(text),
        [section(head), section(escape(truncate(p.rationale, 600))), context(" · ".join(details))],
    )


def posted_confirmation(proposal: ProposalView, permalink: str | None) -> Message:
    p = proposal
    where = f" in <#{escape(p.channel_id)}>" if p.channel_id else ""
    thread = f": {link(permalink, 'open the thread')}" if permalink else ""
    text = (
        f":white_check_mark: Your proposal to rate {_promise(p)} *{p.to_rating.label}* is up "
        f"for review{where}{thread}. It needs {plural(p.approvals_required, 'approval')} "
        "from other editors" + (", one of them from a senior editor." if p.senior_required else ".")
    )
    return Message(f"Your proposal is up for review{where}", [section(text)])


def unposted_notice(proposal: ProposalView) -> Message:
    text = (
        f":warning: Your proposal to rate {_promise(proposal)} *{proposal.to_rating.label}* is "
        "saved, but Slack did not take the review post (the bot may not be in that "
        "channel). Post it for review, or withdraw it; both are on the promise's card too."
    )
    return Message(
        "Your proposal is saved but was not posted",
        [section(text), unposted_actions(proposal.id)],
    )


def unposted_actions(proposal_id: int) -> Block:
    """What the proposer can do with a proposal whose root was never posted."""
    value = str(proposal_id)
    return actions(
        button("Post for review", Act.POST_PROPOSAL, value, style="primary"),
        button("Withdraw", Act.WITHDRAW, value),
        block_id=f"unposted:{proposal_id}",
    )


def withdrawn_unposted(proposal: ProposalView) -> Message:
    text = (
        f":leftwards_arrow_with_hook: You withdrew your proposal to rate {_promise(proposal)} "
        f"*{proposal.to_rating.label}*."
    )
    return Message(_plain(text), [section(text)])


def already_counted(proposal: ProposalView) -> Message:
    text = f"Your approval is already counted ({approval_count(proposal)})."
    return Message(text, [section(text)])


def usage_message() -> Message:
    return Message(escape(PROPOSE_USAGE), [section(escape(PROPOSE_USAGE))])


def _plain(text: str) -> str:
    """Fallback text for notifications: the mrkdwn without its emphasis markers."""
    return text.replace("*", "")
