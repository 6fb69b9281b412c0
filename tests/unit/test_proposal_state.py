"""Property test of the proposal state machine: whatever happens, in whatever order, a
proposal is applied at most once, never when stale, and counts only real reviews."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promisebot.domain import (
    ApprovalsIncomplete,
    DomainError,
    NotAnEditor,
    Outcome,
    ProposalClosed,
    ProposalState,
    ProposalStatus,
    Rating,
    SelfReview,
    Verdict,
)

PROPOSER = "UPROPOSER"
EDITORS = frozenset({PROPOSER, "UE1", "UE2", "UE3"})
USERS = sorted(EDITORS | {"UREPORTER"})


@dataclass(frozen=True)
class Review:
    user: str
    verdict: Verdict
    reason: str


@dataclass(frozen=True)
class Withdraw:
    user: str


@dataclass(frozen=True)
class Expire:
    pass


@dataclass(frozen=True)
class Apply:
    """A direct apply with the promise's current rating, as a racing caller might."""


@dataclass(frozen=True)
class RatingMoves:
    """The promise's rating changes outside this proposal (another proposal, an import)."""

    to: Rating


Step = Review | Withdraw | Expire | Apply | RatingMoves

steps = st.one_of(
    st.builds(
        Review,
        st.sampled_from(USERS),
        st.sampled_from(Verdict),
        st.sampled_from(["", "  ", "bill died"]),
    ),
    st.builds(Withdraw, st.sampled_from(USERS)),
    st.just(Expire()),
    st.just(Apply()),
    st.builds(RatingMoves, st.sampled_from(Rating)),
)


class Run:
    """Drives a ProposalState the way the service does, checking invariants at each step."""

    def __init__(self, state: ProposalState, current: Rating) -> None:
        self.state = state
        self.current = current
        self.applied = 0
        self.counted: dict[str, Verdict] = {}  # reference model: accepted verdicts

    def apply(self) -> None:
        if self.state.apply(self.current):
            assert self.current is self.state.from_rating, "applied a stale proposal"
            self.applied += 1
            self.current = self.state.to_rating

    def step(self, step: Step) -> None:
        if isinstance(step, RatingMoves):
            self.current = step.to
        elif isinstance(step, Review):
            outcome = self.state.review(
                step.user, step.verdict, step.reason, is_editor=step.user in EDITORS
            )
            assert step.user in EDITORS and step.user != PROPOSER
            if outcome is not Outcome.UNCHANGED:
                self.counted[step.user] = step.verdict
            if outcome is Outcome.APPLY:
                self.apply()
        elif isinstance(step, Withdraw):
            self.state.withdraw(step.user)
        elif isinstance(step, Expire):
            self.state.expire()
        else:
            self.apply()


@settings(max_examples=200, deadline=None)
@given(
    required=st.integers(min_value=1, max_value=3),
    ratings=st.permutations(list(Rating)),
    script=st.lists(steps, max_size=30),
)
def test_no_sequence_breaks_the_rules(
    required: int, ratings: list[Rating], script: list[Step]
) -> None:
    from_rating, to_rating = ratings[0], ratings[1]
    run = Run(ProposalState(PROPOSER, from_rating, to_rating, required), from_rating)
    closed_as: ProposalStatus | None = None

    for step in script:
        before = (run.state.status, dict(run.state.verdicts))
        try:
            run.step(step)
        except DomainError as error:
            # A refused step changes nothing, and the refusal says why.
            assert (run.state.status, run.state.verdicts) == before
            if closed_as is not None:
                assert isinstance(error, ProposalClosed) and error.status is closed_as
            if isinstance(step, Review) and closed_as is None:
                if step.user not in EDITORS:
                    assert isinstance(error, NotAnEditor)
                elif step.user == PROPOSER:
                    assert isinstance(error, SelfReview)

        assert run.applied <= 1
        assert PROPOSER not in run.state.verdicts, "a self-review was counted"
        assert set(run.state.verdicts) <= EDITORS, "a non-editor's review was counted"
        assert run.state.verdicts == run.counted, "a verdict was counted twice or lost"
        approvals = sum(1 for v in run.counted.values() if v is Verdict.APPROVE)
        assert run.state.approvals == approvals
        if closed_as is not None:
            assert run.state.status is closed_as, "a closed proposal changed status"
        elif run.state.status is not ProposalStatus.OPEN:
            closed_as = run.state.status
        if run.state.status is ProposalStatus.APPROVED:
            assert run.applied == 1
        else:
            assert run.applied == 0
        if run.state.status is ProposalStatus.REJECTED:
            assert Verdict.REJECT in run.state.verdicts.values()


# -- the senior rule -----------------------------------------------------------------------

SENIORS = frozenset({"UE3", "USENIOR"})  # a senior is also an editor
EVERYONE = sorted(EDITORS | SENIORS | {"UREPORTER"})

senior_steps = st.one_of(
    st.builds(
        Review,
        st.sampled_from(EVERYONE),
        st.sampled_from(Verdict),
        st.sampled_from(["", "bill died"]),
    ),
    st.builds(Withdraw, st.sampled_from(EVERYONE)),
    st.just(Expire()),
    st.just(Apply()),
    st.builds(RatingMoves, st.sampled_from(Rating)),
)


@settings(max_examples=300, deadline=None)
@given(
    required=st.integers(min_value=1, max_value=3),
    senior_required=st.booleans(),
    ratings=st.permutations(list(Rating)),
    script=st.lists(senior_steps, max_size=30),
)
def test_no_sequence_applies_without_its_senior_approval_or_twice(
    required: int, senior_required: bool, ratings: list[Rating], script: list[Step]
) -> None:
    from_rating, to_rating = ratings[0], ratings[1]
    state = ProposalState(
        PROPOSER, from_rating, to_rating, required, senior_required=senior_required
    )
    current = from_rating
    applied = 0

    def apply() -> None:
        nonlocal applied, current
        approvers = {user for user, verdict in state.verdicts.items() if verdict is Verdict.APPROVE}
        if state.apply(current):
            applied += 1
            current = to_rating
            assert len(approvers) >= required, "applied without enough approvals"
            if senior_required:
                assert approvers & SENIORS, "applied without a senior's approval"

    for step in script:
        try:
            if isinstance(step, RatingMoves):
                current = step.to
            elif isinstance(step, Review):
                is_senior = step.user in SENIORS
                outcome = state.review(
                    step.user,
                    step.verdict,
                    step.reason,
                    is_editor=step.user in EDITORS or is_senior,
                    is_senior=is_senior,
                )
                if outcome is Outcome.APPLY:
                    apply()
            elif isinstance(step, Withdraw):
                state.withdraw(step.user)
            elif isinstance(step, Expire):
                state.expire()
            else:
                apply()
        except DomainError:
            pass
        assert applied <= 1, "applied twice"
        assert state.seniors <= SENIORS, "someone counted as senior who is not"
        assert (state.status is ProposalStatus.APPROVED) == (applied == 1)


def test_a_complete_set_of_ordinary_approvals_waits_for_a_senior() -> None:
    state = ProposalState(PROPOSER, Rating.STALLED, Rating.PROMISE_BROKEN, 2, senior_required=True)
    assert state.review("UE1", Verdict.APPROVE, is_editor=True) is Outcome.RECORDED
    assert state.review("UE2", Verdict.APPROVE, is_editor=True) is Outcome.RECORDED
    assert state.approvals == 2 and not state.complete
    with pytest.raises(ApprovalsIncomplete):
        state.apply(Rating.STALLED)
    assert state.status is ProposalStatus.OPEN
    assert state.review("USENIOR", Verdict.APPROVE, is_editor=True, is_senior=True) is Outcome.APPLY
    assert state.apply(Rating.STALLED) and state.status is ProposalStatus.APPROVED


def test_an_approval_given_again_as_a_senior_counts_as_the_seniors() -> None:
    state = ProposalState(PROPOSER, Rating.STALLED, Rating.PROMISE_KEPT, 2, senior_required=True)
    state.review("UE1", Verdict.APPROVE, is_editor=True)
    state.review("UE2", Verdict.APPROVE, is_editor=True)
    # UE2 was made a senior since: approving again now completes the proposal.
    assert state.review("UE2", Verdict.APPROVE, is_editor=True, is_senior=True) is Outcome.APPLY
    assert state.review("UE1", Verdict.APPROVE, is_editor=True) is Outcome.UNCHANGED
