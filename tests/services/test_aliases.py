"""The alias service: editors' aliases (checked, unique per tracker, audited), what search
makes of them, and picks teaching a learned alias."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from promisebot.db.models import AuditEvent, PromiseAlias, SearchPick
from promisebot.db.uow import Database
from promisebot.domain import NotAnEditor
from promisebot.services.lookup import LookupService
from promisebot.services.lookup.aliases import AliasInfo, AliasService, AliasTaken, InvalidAlias
from promisebot.services.trackers import load_demo
from tests.clock import FakeClock
from tests.databases import postgres_only
from tests.services.test_evidence import editor_permissions

EDITOR = "U_ED1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lookup(db: Database, clock: FakeClock) -> LookupService:
    load_demo(db, clock)
    return LookupService(db, clock)


@pytest.fixture
def aliases(db: Database, clock: FakeClock) -> AliasService:
    return AliasService(db, clock, editor_permissions(clock, EDITOR, "U_ED2"))


def _id(lookup: LookupService, external_id: str) -> int:
    return lookup.find_one(external_id).id


def _rows(db: Database) -> list[tuple[str, str, bool]]:
    with db.reading() as uow:
        rows = uow.session.scalars(select(PromiseAlias).order_by(PromiseAlias.id)).all()
        return [(row.alias, row.alias_key, row.learned) for row in rows]


def test_an_editors_alias_is_stored_audited_listed_and_found(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    assert lookup.search("obamacare").kind == "none"
    wall = _id(lookup, "border-wall")

    listing = aliases.add(wall, "  The  Big Beautiful Wall ", EDITOR)

    assert listing.changed == AliasInfo("The Big Beautiful Wall", learned=False)
    assert listing.aliases == (AliasInfo("The Big Beautiful Wall", learned=False),)
    assert _rows(db) == [("The Big Beautiful Wall", "big beautiful wall", False)]
    with db.reading() as uow:
        events = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.subject_id).where(
                AuditEvent.action.startswith("alias.")
            )
        ).all()
    assert [tuple(event) for event in events] == [(EDITOR, "alias.add", str(wall))]
    result = lookup.search("beautiful wall")
    assert result.card is not None and result.card.external_id == "border-wall"
    assert result.card.aliases == ("The Big Beautiful Wall",)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("", "Give the alias's words"),
        ("x" * 61, "at most 60 characters; that one has 61"),
        ("?!… --", "no word search could use"),
        ("the of", "no word search could use"),
    ],
)
def test_bad_aliases_are_refused_with_the_reason(
    db: Database, lookup: LookupService, aliases: AliasService, words: str, says: str
) -> None:
    with pytest.raises(InvalidAlias, match=says):
        aliases.add(_id(lookup, "border-wall"), words, EDITOR)
    assert _rows(db) == []


def test_an_alias_of_another_promise_of_the_tracker_is_refused_naming_it(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    aliases.add(_id(lookup, "universal-tariff"), "Tariff wall", EDITOR)

    with pytest.raises(AliasTaken) as refused:
        aliases.add(_id(lookup, "border-wall"), "tariff-wall!", EDITOR)

    assert "'Tariff wall' is already an alias of `universal-tariff`" in str(refused.value)
    assert "/promise unalias universal-tariff Tariff wall" in str(refused.value)
    with pytest.raises(InvalidAlias, match="already has the alias"):
        aliases.add(_id(lookup, "universal-tariff"), "TARIFF WALL", EDITOR)
    assert len(_rows(db)) == 1


def test_only_editors_may_add_or_remove(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    wall = _id(lookup, "border-wall")
    with pytest.raises(NotAnEditor):
        aliases.add(wall, "the wall", "U_REPORTER")
    aliases.add(wall, "the wall", EDITOR)
    with pytest.raises(NotAnEditor):
        aliases.remove(wall, "the wall", "U_REPORTER")
    assert _rows(db) == [("the wall", "wall", False)]


def test_removing_an_alias_and_an_unknown_one(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    wall = _id(lookup, "border-wall")
    aliases.add(wall, "the wall", EDITOR)
    aliases.add(wall, "southern barrier", EDITOR)

    with pytest.raises(
        InvalidAlias, match=r"has no alias 'fence'\. Its aliases: 'the wall', 'southern"
    ):
        aliases.remove(wall, "fence", EDITOR)
    listing = aliases.remove(wall, "WALL", EDITOR)

    assert listing.changed == AliasInfo("the wall", learned=False)
    assert listing.aliases == (AliasInfo("southern barrier", learned=False),)
    assert lookup.search("southern barrier").card is not None
    assert lookup.card(wall).aliases == ("southern barrier",)


def _pick(aliases: AliasService, lookup: LookupService, external_id: str, user: str) -> bool:
    return aliases.record_pick(_id(lookup, external_id), "tariffs", user)


def test_two_peoples_picks_teach_the_query(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    assert lookup.search("tariffs").kind == "ambiguous"

    assert not _pick(aliases, lookup, "universal-tariff", "U_A")
    assert lookup.search("tariffs").kind == "ambiguous"
    assert _pick(aliases, lookup, "universal-tariff", "U_B")

    result = lookup.search("Tariffs!")
    assert result.card is not None and result.card.external_id == "universal-tariff"
    assert aliases.aliases_of(result.card.id).aliases == (AliasInfo("tariffs", learned=True),)
    with db.reading() as uow:
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.startswith("alias."))
        ).all()
    assert actions == ["alias.learned"]


def test_one_persons_repeated_picks_change_nothing(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    before = lookup.search("tariffs")
    for _ in range(3):
        assert not _pick(aliases, lookup, "china-tariffs", "U_A")

    assert lookup.search("tariffs") == before
    with db.reading() as uow:
        assert len(uow.session.scalars(select(SearchPick)).all()) == 1
    assert _rows(db) == []


def test_one_editors_pick_teaches(lookup: LookupService, aliases: AliasService) -> None:
    assert _pick(aliases, lookup, "china-tariffs", EDITOR)
    card = lookup.search("tariffs").card
    assert card is not None and card.external_id == "china-tariffs"


def test_when_people_pick_different_promises_the_query_stays_a_pick_list(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    _pick(aliases, lookup, "universal-tariff", "U_A")
    _pick(aliases, lookup, "universal-tariff", "U_B")
    assert lookup.search("tariffs").kind == "match"

    _pick(aliases, lookup, "china-tariffs", "U_C")
    assert lookup.search("tariffs").kind == "match"  # one stray pick does not undo it
    assert _pick(aliases, lookup, "china-tariffs", "U_D")

    assert lookup.search("tariffs").kind == "ambiguous"
    assert _rows(db) == []


def test_a_removed_learned_alias_is_not_relearned_from_the_same_picks(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    _pick(aliases, lookup, "universal-tariff", "U_A")
    _pick(aliases, lookup, "universal-tariff", "U_B")
    universal = _id(lookup, "universal-tariff")

    listing = aliases.remove(universal, "tariffs", EDITOR)

    assert listing.changed == AliasInfo("tariffs", learned=True)
    assert lookup.search("tariffs").kind == "ambiguous"
    assert not _pick(aliases, lookup, "universal-tariff", "U_A")  # already counted, dismissed
    assert not _pick(aliases, lookup, "universal-tariff", "U_C")
    assert _pick(aliases, lookup, "universal-tariff", "U_D")  # two new people teach it again
    assert lookup.search("tariffs").kind == "match"


def test_a_learned_alias_gives_way_to_an_editors_alias(
    db: Database, lookup: LookupService, aliases: AliasService
) -> None:
    aliases.add(_id(lookup, "china-tariffs"), "tariffs", EDITOR)
    _pick(aliases, lookup, "universal-tariff", "U_A")
    assert not _pick(aliases, lookup, "universal-tariff", "U_B")
    assert _rows(db) == [("tariffs", "tariffs", False)]


def test_picks_of_unusable_queries_are_ignored(
    lookup: LookupService, aliases: AliasService
) -> None:
    wall = _id(lookup, "border-wall")
    assert not aliases.record_pick(wall, "the", EDITOR)
    assert not aliases.record_pick(wall, "word " * 20, EDITOR)
    assert not aliases.record_pick(10**9, "wall", EDITOR)


@postgres_only
def test_two_people_picking_at_the_same_moment_teach_the_query_once(
    db: Database, lookup: LookupService, clock: FakeClock
) -> None:
    """Real threads, each with its own engine, released together, over several queries: each
    pick sees the one committed before it (the query's advisory lock), so every query is
    learned exactly once."""
    universal = _id(lookup, "universal-tariff")
    queries = [f"tariffs {word}" for word in ("steel", "lumber", "cars", "chips", "wine", "oil")]
    barrier = threading.Barrier(2)
    taught: dict[str, list[bool]] = {query: [] for query in queries}
    errors: list[BaseException] = []

    def pick(user: str) -> None:
        own = Database(db.url)
        try:
            service = AliasService(own, clock, editor_permissions(clock))
            for query in queries:
                barrier.wait()
                taught[query].append(service.record_pick(universal, query, user))
        except BaseException as error:
            errors.append(error)
        finally:
            own.dispose()

    threads = [threading.Thread(target=pick, args=(user,)) for user in ("U_A", "U_B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {query: sorted(results) for query, results in taught.items()} == {
        query: [False, True] for query in queries
    }
    assert _rows(db) == [(query, query, True) for query in queries]
