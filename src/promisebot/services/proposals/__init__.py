"""Peer-approved rating changes: propose, review (approve / reject), withdraw, expire.

`ProposalService` is the entry; it returns the frozen read models defined in `records`.
"""

from promisebot.services.proposals.records import (
    AddedEvidence,
    InvalidProposal,
    ProposalDraft,
    ProposalNotFound,
    ProposalView,
    RatingChangeView,
    ReviewResult,
)
from promisebot.services.proposals.service import ProposalService

__all__ = [
    "AddedEvidence",
    "InvalidProposal",
    "ProposalDraft",
    "ProposalNotFound",
    "ProposalService",
    "ProposalView",
    "RatingChangeView",
    "ReviewResult",
]
