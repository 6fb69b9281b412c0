"""Looking promises up: search, the card, lists and the scorecard (`service`), answered from
the in-memory catalog where it is safe (`catalog`). This is the feature's one entry."""

from promisebot.services.lookup.service import (
    CARD_EVIDENCE,
    CARD_HISTORY,
    EvidenceItem,
    HistoryItem,
    LookupResult,
    LookupService,
    OpenProposal,
    OverdueList,
    PromiseCard,
    PromiseChoice,
    PromiseList,
    PromiseSummary,
    TrackerScore,
)

__all__ = [
    "CARD_EVIDENCE",
    "CARD_HISTORY",
    "EvidenceItem",
    "HistoryItem",
    "LookupResult",
    "LookupService",
    "OpenProposal",
    "OverdueList",
    "PromiseCard",
    "PromiseChoice",
    "PromiseList",
    "PromiseSummary",
    "TrackerScore",
]
