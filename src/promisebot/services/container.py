"""The set of services the entry points (Slack listeners, scheduler, CLI) work with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from promisebot.db.uow import Database
from promisebot.domain import Clock
from promisebot.services.editors import EditorDirectory
from promisebot.services.evidence import EvidenceService
from promisebot.services.home import HomeService
from promisebot.services.link_titles import LinkTitleFetcher
from promisebot.services.lookup import LookupService
from promisebot.services.proposals import ProposalService
from promisebot.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    db: Database
    clock: Clock
    is_editor: Callable[[str], bool]
    lookup: LookupService
    evidence: EvidenceService
    home: HomeService
    link_titles: LinkTitleFetcher | None  # None when PROMISEBOT_FETCH_LINK_TITLES is off
    editors: EditorDirectory  # configured editors + the editor user group (cached)
    proposals: ProposalService
