"""Aliases: the desk's own words for a promise, given by editors or learned from the promises
people picked after a query; each tracker gives an alias to one promise only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from promisebot.db.models import Promise, PromiseAlias
from promisebot.db.uow import Database, UnitOfWork, WriteConflict
from promisebot.domain import (
    ALIAS_MAX,
    SYSTEM_ACTOR,
    Clock,
    DomainError,
    Pick,
    PromiseNotFound,
    learned_promise,
)
from promisebot.search import query_key
from promisebot.services.permissions import Permissions

CHANGE_ALIASES = "add or remove aliases"


class InvalidAlias(DomainError):
    """The words cannot be an alias (empty, too long, nothing search could use)."""


class AliasTaken(DomainError):
    """Another promise of the same tracker already has this alias."""

    def __init__(self, alias: str, holder: Promise, learned: bool) -> None:
        kind = "a learned alias" if learned else "an alias"
        super().__init__(
            f"'{alias}' is already {kind} of `{holder.external_id}` ({holder.title}); an alias "
            f"names one promise per tracker. Remove it there first with "
            f"`/promise unalias {holder.external_id} {alias}`."
        )


@dataclass(frozen=True, slots=True)
class AliasInfo:
    text: str
    learned: bool


@dataclass(frozen=True, slots=True)
class PromiseAliases:
    """A promise's aliases (given ones first) and, after a change, the alias it concerned."""

    promise_id: int
    external_id: str
    title: str
    aliases: tuple[AliasInfo, ...]
    changed: AliasInfo | None = None


def alias_words(text: str) -> tuple[str, str]:
    """(the alias as it will be shown, its key as search compares it); raises InvalidAlias."""
    alias = " ".join(text.split())
    if not alias:
        raise InvalidAlias("Give the alias's words, e.g. `/promise alias tpp-withdraw tpp`.")
    if len(alias) > ALIAS_MAX:
        raise InvalidAlias(
            f"An alias is at most {ALIAS_MAX} characters; that one has {len(alias)}."
        )
    key = query_key(alias)
    if not key:
        raise InvalidAlias(
            f"'{alias}' has no word search could use (only punctuation or words like 'the')."
        )
    return alias, key


class AliasService:
    """Editors add and remove aliases; anyone's picks may teach one (see `learned_promise`)."""

    def __init__(self, db: Database, clock: Clock, permissions: Permissions) -> None:
        self._db = db
        self._clock = clock
        self._permissions = permissions

    def aliases_of(self, promise_id: int) -> PromiseAliases:
        for attempt in self._db.attempts(read_only=True):
            with attempt as uow:
                listing = _listing(uow, _promise(uow, promise_id))
        return listing

    def add(self, promise_id: int, text: str, actor: str) -> PromiseAliases:
        self._permissions.require_editor(actor, CHANGE_ALIASES)
        alias, key = alias_words(text)
        now = self._clock()
        try:
            for attempt in self._db.attempts():
                with attempt as uow:
                    listing = self._add(uow, promise_id, alias, key, actor, now)
        except WriteConflict:
            raise InvalidAlias(
                f"Someone gave '{alias}' to a promise at the same moment; try again."
            ) from None
        return listing

    def _add(
        self, uow: UnitOfWork, promise_id: int, alias: str, key: str, actor: str, now: datetime
    ) -> PromiseAliases:
        promise = _promise(uow, promise_id, lock=True)
        held = uow.aliases.by_key(promise.tracker_id, key)
        if held is not None and held.promise_id != promise.id:
            holder = uow.promises.get(held.promise_id)
            assert holder is not None  # the alias row cascades with its promise
            raise AliasTaken(held.alias, holder, held.learned)
        if held is not None and not held.learned:
            if uow.after_unknown_commit:  # our own earlier attempt got through
                return _listing(uow, promise, AliasInfo(held.alias, learned=False))
            raise InvalidAlias(f"`{promise.external_id}` already has the alias '{alias}'.")
        if held is not None:
            # A learned alias confirmed by an editor: it becomes a given one.
            uow.aliases.remove([held.id])
            uow.flush()
        uow.aliases.add(_row(promise, alias, key, learned=False, by=actor, at=now))
        uow.catalog.touch_search()
        uow.audit.record(
            actor=actor,
            action="alias.add",
            subject_type="promise",
            subject_id=promise.id,
            at=now,
            alias=alias,
        )
        uow.flush()
        listing = _listing(uow, promise, AliasInfo(alias, learned=False))
        uow.commit()
        return listing

    def remove(self, promise_id: int, text: str, actor: str) -> PromiseAliases:
        """Remove a given or a learned alias; the picks that taught a learned one stop
        counting, so only new picks by others can teach it again."""
        self._permissions.require_editor(actor, CHANGE_ALIASES)
        alias, key = alias_words(text)
        now = self._clock()
        for attempt in self._db.attempts():
            with attempt as uow:
                listing = self._remove(uow, promise_id, alias, key, actor, now)
        return listing

    def _remove(
        self, uow: UnitOfWork, promise_id: int, alias: str, key: str, actor: str, now: datetime
    ) -> PromiseAliases:
        promise = _promise(uow, promise_id, lock=True)
        held = uow.aliases.by_key(promise.tracker_id, key)
        if held is None or held.promise_id != promise.id:
            if uow.after_unknown_commit:  # our own earlier attempt removed it
                return _listing(uow, promise, AliasInfo(alias, learned=False))
            listing = _listing(uow, promise)
            names = ", ".join(f"'{item.text}'" for item in listing.aliases) or "none"
            raise InvalidAlias(
                f"`{promise.external_id}` has no alias '{alias}'. Its aliases: {names}."
            )
        removed = AliasInfo(held.alias, held.learned)
        uow.aliases.remove([held.id])
        uow.catalog.touch_search()
        if held.learned:
            uow.aliases.dismiss_picks(key, promise.id)
        uow.audit.record(
            actor=actor,
            action="alias.remove",
            subject_type="promise",
            subject_id=promise.id,
            at=now,
            alias=held.alias,
            learned=held.learned,
        )
        uow.flush()
        listing = _listing(uow, promise, removed)
        uow.commit()
        return listing

    def record_pick(self, promise_id: int, key: str, user_id: str) -> bool:
        """`user_id` pressed this promise on the pick-list of the query whose key is `key`;
        True when that taught (or withdrew) a learned alias."""
        key = query_key(key)
        if not key or len(key) > ALIAS_MAX:
            return False
        is_editor = self._permissions.is_editor(user_id)
        now = self._clock()
        try:
            for attempt in self._db.attempts():
                with attempt as uow:
                    changed = self._record_pick(uow, promise_id, key, user_id, is_editor, now)
        except WriteConflict:
            return False  # the same pick, recorded by a concurrent press of the same button
        return changed

    def _record_pick(
        self,
        uow: UnitOfWork,
        promise_id: int,
        key: str,
        user_id: str,
        is_editor: bool,
        now: datetime,
    ) -> bool:
        """False also when the pick was recorded already (a re-run after a lost COMMIT)."""
        uow.aliases.lock_query(key)
        if uow.promises.get(promise_id) is None:
            return False
        if not uow.aliases.record_pick(
            promise_id=promise_id, query_key=key, user_id=user_id, is_editor=is_editor, at=now
        ):
            return False
        changed = _relearn(uow, key, now)
        if changed:
            uow.catalog.touch_search()
        uow.commit()
        return changed


def _relearn(uow: UnitOfWork, key: str, now: datetime) -> bool:
    """Bring the learned aliases of one query in line with its picks; True on a change."""
    picks = [Pick(row.promise_id, row.user_id, row.is_editor) for row in uow.aliases.picks_for(key)]
    winner = learned_promise(picks)
    changed = False
    stale = [row for row in uow.aliases.learned_for(key) if row.promise_id != winner]
    if stale:
        uow.aliases.remove([row.id for row in stale])
        changed = True
    for row in stale:
        _audit_learning(uow, "alias.unlearned", row.promise_id, key, now)
    if winner is None:
        return changed
    promise = uow.promises.get(winner)
    assert promise is not None
    uow.flush()
    if uow.aliases.by_key(promise.tracker_id, key) is not None:
        return changed  # already learned, or an editor's alias (theirs or another promise's)
    uow.aliases.add(_row(promise, key, key, learned=True, by=SYSTEM_ACTOR, at=now))
    _audit_learning(uow, "alias.learned", promise.id, key, now)
    return True


def _audit_learning(uow: UnitOfWork, action: str, promise_id: int, key: str, now: datetime) -> None:
    uow.audit.record(
        actor=SYSTEM_ACTOR,
        action=action,
        subject_type="promise",
        subject_id=promise_id,
        at=now,
        alias=key,
    )


def _row(
    promise: Promise, alias: str, key: str, *, learned: bool, by: str, at: datetime
) -> PromiseAlias:
    return PromiseAlias(
        promise_id=promise.id,
        tracker_id=promise.tracker_id,
        alias=alias,
        alias_key=key,
        learned=learned,
        added_by=by,
        added_at=at,
    )


def _promise(uow: UnitOfWork, promise_id: int, *, lock: bool = False) -> Promise:
    promise = uow.promises.lock(promise_id) if lock else uow.promises.get(promise_id)
    if promise is None:
        raise PromiseNotFound()
    return promise


def _listing(uow: UnitOfWork, promise: Promise, changed: AliasInfo | None = None) -> PromiseAliases:
    aliases = tuple(AliasInfo(row.alias, row.learned) for row in uow.aliases.of_promise(promise.id))
    return PromiseAliases(promise.id, promise.external_id, promise.title, aliases, changed)
