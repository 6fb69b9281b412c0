"""The newsroom's rules: the rating scale, the proposal state machine, who may do what.

Pure Python: no SQLAlchemy, no Slack. Errors carry a message fit to show a user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from urllib.parse import urlsplit

Clock = Callable[[], datetime]

RATIONALE_MAX = 2000
COMMENT_MAX = 1000
NOTE_MAX = 1000
TITLE_MAX = 300
PUBLISHER_MAX = 200
URL_MAX = 2000
EVIDENCE_LINKS_MAX = 10
DUE_LABEL_MAX = 60
EARLIEST_DUE_ON = date(1900, 1, 1)
DUE_ON_FORMAT = "YYYY-MM-DD, e.g. 2027-01-20"

SYSTEM_ACTOR = "promisebot"


def utcnow() -> datetime:
    return datetime.now(UTC)


class DomainError(Exception):
    """A rule was broken; `str(error)` is a friendly sentence for the user."""


class UnknownRating(DomainError):
    def __init__(self, text: str) -> None:
        names = ", ".join(rating.label for rating in Rating)
        super().__init__(f"'{text}' is not one of: {names}")


class Rating(StrEnum):
    NOT_YET_RATED = "not_yet_rated"
    IN_THE_WORKS = "in_the_works"
    STALLED = "stalled"
    COMPROMISE = "compromise"
    PROMISE_KEPT = "promise_kept"
    PROMISE_BROKEN = "promise_broken"

    @property
    def label(self) -> str:
        return RATING_INFO[self].label

    @property
    def emoji(self) -> str:
        return RATING_INFO[self].emoji

    @property
    def colour(self) -> str:
        return RATING_INFO[self].colour

    @property
    def definition(self) -> str:
        return RATING_INFO[self].definition


@dataclass(frozen=True, slots=True)
class RatingInfo:
    label: str
    definition: str
    emoji: str
    colour: str


RATING_INFO: Mapping[Rating, RatingInfo] = {
    Rating.NOT_YET_RATED: RatingInfo(
        "Not Yet Rated", "On the list, not yet assessed.", ":white_circle:", "#9e9e9e"
    ),
    Rating.IN_THE_WORKS: RatingInfo(
        "In the Works",
        "Real steps are under way: a bill filed, an order drafted, money requested.",
        ":large_blue_circle:",
        "#1e88e5",
    ),
    Rating.STALLED: RatingInfo(
        "Stalled",
        "No movement: blocked, set aside for now, or nothing done.",
        ":large_yellow_circle:",
        "#fbc02d",
    ),
    Rating.COMPROMISE: RatingInfo(
        "Compromise",
        "Partly achieved, or achieved in a weaker form than promised.",
        ":large_orange_circle:",
        "#fb8c00",
    ),
    Rating.PROMISE_KEPT: RatingInfo(
        "Promise Kept", "Achieved as promised.", ":large_green_circle:", "#43a047"
    ),
    Rating.PROMISE_BROKEN: RatingInfo(
        "Promise Broken",
        "Will not be achieved, or the opposite was done.",
        ":red_circle:",
        "#e53935",
    ),
}


def _rating_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


_RATING_ALIASES: dict[str, Rating] = {
    **{_rating_key(rating.label): rating for rating in Rating},
    **{_rating_key(rating.value): rating for rating in Rating},
    "kept": Rating.PROMISE_KEPT,
    "broken": Rating.PROMISE_BROKEN,
    "works": Rating.IN_THE_WORKS,
    "intheworks": Rating.IN_THE_WORKS,
    "inprogress": Rating.IN_THE_WORKS,
    "notrated": Rating.NOT_YET_RATED,
    "unrated": Rating.NOT_YET_RATED,
    "nyr": Rating.NOT_YET_RATED,
    "stall": Rating.STALLED,
    "compromised": Rating.COMPROMISE,
}


def parse_rating(text: str) -> Rating:
    """Parse a rating name forgivingly: case, spaces, hyphens and common short forms."""
    rating = _RATING_ALIASES.get(_rating_key(text))
    if rating is None:
        raise UnknownRating(text.strip())
    return rating


# A promise rated one of these is settled: its deadline can pass without it being overdue.
SETTLED_RATINGS = frozenset({Rating.PROMISE_KEPT, Rating.PROMISE_BROKEN})


class ProposalStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    STALE = "stale"
    EXPIRED = "expired"


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class PromiseNotFound(DomainError):
    """`what` names what was looked for, when a user typed it (`'tariffs'`, `id 42`)."""

    def __init__(self, what: str | None = None) -> None:
        if what is None:
            super().__init__("That promise could not be found; it may have been removed.")
        else:
            super().__init__(f"No promise matches {what}. Try `/promise <words>` to search.")


class UnknownTracker(DomainError):
    def __init__(self, slug: str, known: Sequence[str]) -> None:
        names = ", ".join(known) or "none yet"
        super().__init__(f"There is no tracker '{slug}'. Trackers: {names}.")


class NotAnEditor(DomainError):
    def __init__(self, action: str) -> None:
        super().__init__(f"Only editors can {action}. Ask an editor if you think this is wrong.")


class ProposalClosed(DomainError):
    def __init__(self, status: ProposalStatus) -> None:
        self.status = status
        super().__init__(f"This proposal is already {status.value}; nothing was changed.")


class SelfReview(DomainError):
    def __init__(self) -> None:
        super().__init__("You proposed this change, so another editor has to review it.")


class RejectionNeedsReason(DomainError):
    def __init__(self) -> None:
        super().__init__("A rejection needs a reason, e.g. `reject the bill has not passed`.")


class AmbiguousPromise(DomainError):
    def __init__(self, ref: str, keys: list[str]) -> None:
        super().__init__(f"`{ref}` is in several trackers; say which: {', '.join(keys)}.")


def check_single_match(ref: str, keys: Sequence[str]) -> None:
    """Raise unless exactly one promise matched `ref`; `keys` are the matches' `tracker/id`."""
    if not keys:
        raise PromiseNotFound(f"`{ref}`")
    if len(keys) > 1:
        raise AmbiguousPromise(ref, sorted(f"`{key}`" for key in keys))


class ApprovalsIncomplete(DomainError):
    def __init__(self) -> None:
        super().__init__("This proposal does not have the approvals it needs yet.")


class OnlyProposerMayWithdraw(DomainError):
    def __init__(self) -> None:
        super().__init__("Only the editor who proposed this change can withdraw it.")


class Outcome(StrEnum):
    """What a review did to its proposal."""

    RECORDED = "recorded"  # counted; still open
    UNCHANGED = "unchanged"  # same verdict again (retry, double click)
    APPLY = "apply"  # approvals (and a senior's, when required) complete: apply now
    REJECTED = "rejected"


@dataclass(slots=True)
class ProposalState:
    """A proposal's rules over its reviews; the database persists what this decides.

    With `senior_required`, the approvals must include one given by a senior editor
    (`seniors`: reviewers who were senior when they gave their verdict); it counts as one
    of the `approvals_required`.
    """

    proposer: str
    from_rating: Rating
    to_rating: Rating
    approvals_required: int
    status: ProposalStatus = ProposalStatus.OPEN
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    senior_required: bool = False
    seniors: set[str] = field(default_factory=set)

    @property
    def approvals(self) -> int:
        return sum(1 for verdict in self.verdicts.values() if verdict is Verdict.APPROVE)

    @property
    def senior_approved(self) -> bool:
        return any(
            verdict is Verdict.APPROVE and reviewer in self.seniors
            for reviewer, verdict in self.verdicts.items()
        )

    @property
    def complete(self) -> bool:
        """Enough approvals, including a senior's when the proposal needs one."""
        enough = self.approvals >= self.approvals_required
        return enough and (self.senior_approved or not self.senior_required)

    def _require_open(self) -> None:
        if self.status is not ProposalStatus.OPEN:
            raise ProposalClosed(self.status)

    def review(
        self,
        reviewer: str,
        verdict: Verdict,
        reason: str = "",
        *,
        is_editor: bool,
        is_senior: bool = False,
    ) -> Outcome:
        """Record one reviewer's verdict; a changed mind replaces the earlier one."""
        self.check_reviewer(reviewer, is_editor=is_editor or is_senior)
        if verdict is Verdict.REJECT and not reason.strip():
            raise RejectionNeedsReason()
        repeated = self.verdicts.get(reviewer) is verdict and verdict is Verdict.APPROVE
        if repeated and (reviewer in self.seniors or not is_senior):
            return Outcome.UNCHANGED
        self.verdicts[reviewer] = verdict
        if is_senior:
            self.seniors.add(reviewer)
        else:
            self.seniors.discard(reviewer)
        if verdict is Verdict.REJECT:
            self.status = ProposalStatus.REJECTED
            return Outcome.REJECTED
        if self.complete:
            return Outcome.APPLY
        return Outcome.RECORDED

    def check_reviewer(self, reviewer: str, *, is_editor: bool) -> None:
        """Raise unless `reviewer` may review this proposal now (whatever the verdict)."""
        self._require_open()
        if not is_editor:
            raise NotAnEditor("review rating changes")
        if reviewer == self.proposer:
            raise SelfReview()

    def apply(self, current_rating: Rating) -> bool:
        """Close the proposal once approved: applied, or stale if the promise moved on.
        Refused (ApprovalsIncomplete) while the approvals are not complete."""
        self._require_open()
        if not self.complete:
            raise ApprovalsIncomplete()
        if current_rating is not self.from_rating:
            self.status = ProposalStatus.STALE
            return False
        self.status = ProposalStatus.APPROVED
        return True

    def withdraw(self, user: str) -> None:
        self._require_open()
        if user != self.proposer:
            raise OnlyProposerMayWithdraw()
        self.status = ProposalStatus.WITHDRAWN

    def expire(self) -> None:
        self._require_open()
        self.status = ProposalStatus.EXPIRED

    def mark_stale(self) -> None:
        self._require_open()
        self.status = ProposalStatus.STALE


def check_proposal(
    *, is_editor: bool, current: Rating, target: Rating, rationale: str, links: list[str]
) -> dict[str, str]:
    """Field errors for a new proposal (empty when it is fine); raises NotAnEditor."""
    if not is_editor:
        raise NotAnEditor("propose rating changes")
    errors: dict[str, str] = {}
    if target is current:
        errors["rating"] = f"The promise is already rated {current.label}; pick another rating."
    text = rationale.strip()
    if not text:
        errors["rationale"] = "Say why the rating should change."
    elif len(text) > RATIONALE_MAX:
        errors["rationale"] = f"Keep the rationale under {RATIONALE_MAX} characters."
    if len(links) > EVIDENCE_LINKS_MAX:
        errors["links"] = f"At most {EVIDENCE_LINKS_MAX} links, one per line."
    for link in links:
        problem = url_problem(link)
        if problem:
            errors["links"] = problem
            break
    return errors


def url_problem(url: str) -> str | None:
    """Why a URL is not acceptable as evidence, or None when it is."""
    shown = url if len(url) <= 60 else url[:57] + "..."
    if len(url) > URL_MAX:
        return f"That link is too long (over {URL_MAX} characters)."
    if any(ch.isspace() for ch in url):
        return f"'{shown}' contains spaces; put one link per line."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "." not in parts.hostname:
        return f"'{shown}' is not a web link; links must start with http:// or https://."
    return None


def page_key(url: str) -> str:
    """What identifies a public page whatever way its link is written: the host without
    `www.` (lower case) and the path without a trailing slash; scheme, port, credentials,
    query and fragment do not count. Empty for anything that is not an http(s) link."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not host:
        return ""
    return f"{host}{parts.path.rstrip('/')}"


def split_links(text: str) -> list[str]:
    """Evidence links typed one per line; Slack's <url> / <url|label> wrapping is removed."""
    links = []
    for line in text.splitlines():
        link = line.strip()
        if link.startswith("<") and link.endswith(">"):
            link = link[1:-1].split("|", 1)[0]
        if link:
            links.append(link)
    return links


def days_between(start: datetime | date, end: datetime | date) -> int:
    start_day = start.date() if isinstance(start, datetime) else start
    end_day = end.date() if isinstance(end, datetime) else end
    return (end_day - start_day).days


# -- deadlines ----------------------------------------------------------------------------


class InvalidDeadline(DomainError):
    """A deadline's date or label broke a rule; the message says which and how to write it."""


def parse_due_on(text: str) -> date:
    """An ISO date (YYYY-MM-DD), a real one, from 1900 on."""
    word = text.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", word):
            raise ValueError(word)
        due_on = date.fromisoformat(word)
    except ValueError:
        raise InvalidDeadline(
            f"'{word}' is not a date; write the deadline as {DUE_ON_FORMAT}."
        ) from None
    check_deadline(due_on, "")
    return due_on


def check_deadline(due_on: date, label: str) -> str:
    """The label, stripped, once the date and the label are acceptable."""
    if due_on < EARLIEST_DUE_ON:
        raise InvalidDeadline(
            f"A deadline can't be before {EARLIEST_DUE_ON.year}; write it as {DUE_ON_FORMAT}."
        )
    text = label.strip()
    if len(text) > DUE_LABEL_MAX:
        raise InvalidDeadline(
            f"Keep the deadline's label to {DUE_LABEL_MAX} characters (it has {len(text)})."
        )
    return text


@dataclass(frozen=True, slots=True)
class Deadline:
    """A promise's deadline as seen on one day: `days_left` is negative once it has passed."""

    due_on: date
    label: str
    days_left: int
    settled: bool  # rated Promise Kept or Promise Broken: a passed deadline is not overdue

    @classmethod
    def of(cls, due_on: date | None, label: str, rating: Rating, today: date) -> Deadline | None:
        if due_on is None:
            return None
        return cls(due_on, label, (due_on - today).days, rating in SETTLED_RATINGS)

    @property
    def days_overdue(self) -> int | None:
        """Days past the deadline of an unsettled promise; None when it is not overdue."""
        return -self.days_left if self.days_left < 0 and not self.settled else None


ALIAS_MAX = 60
# What a pick counts for: anyone's pick 1, an editor's 2 (editors may add aliases outright).
PICK_WEIGHT = 1
EDITOR_PICK_WEIGHT = 2
# A query teaches a promise once its picks weigh this much: two people, or one editor.
LEARN_WEIGHT = 2


@dataclass(frozen=True, slots=True)
class Pick:
    """Someone pressed `promise_id` on the pick-list a query gave them."""

    promise_id: int
    person: str
    is_editor: bool


def learned_promise(picks: Iterable[Pick]) -> int | None:
    """The promise that the picks made after one query teach it, or None.

    A person counts once per promise however often they pick it, an editor double; a promise
    is taught once its picks weigh `LEARN_WEIGHT` (two different people, or one editor, who
    could add the alias anyway). One reporter alone never teaches anything, nor keeps anything
    from being learned. When more than one promise is taught, people meant different things by
    the query: nothing is learned and the query stays a pick-list.
    """
    weights: dict[int, dict[str, int]] = {}
    for pick in picks:
        people = weights.setdefault(pick.promise_id, {})
        weight = EDITOR_PICK_WEIGHT if pick.is_editor else PICK_WEIGHT
        people[pick.person] = max(people.get(pick.person, 0), weight)
    taught = [
        promise for promise, people in weights.items() if sum(people.values()) >= LEARN_WEIGHT
    ]
    return taught[0] if len(taught) == 1 else None
