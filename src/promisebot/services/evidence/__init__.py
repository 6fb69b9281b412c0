"""Evidence on promises: adding links (editors only) and fetching their page titles."""

from promisebot.services.evidence.link_titles import LinkTitleFetcher
from promisebot.services.evidence.service import (
    EvidenceAdded,
    EvidenceAlreadyListed,
    EvidenceService,
    InvalidEvidence,
)

__all__ = [
    "EvidenceAdded",
    "EvidenceAlreadyListed",
    "EvidenceService",
    "InvalidEvidence",
    "LinkTitleFetcher",
]
