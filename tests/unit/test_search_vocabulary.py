"""Search in the desk's words: acronyms, number forms, aliases and learned picks."""

from __future__ import annotations

import pytest

from promisebot.search import SearchDoc, SearchIndex, SearchResult, acronyms, query_key, words
from promisebot.search_terms import compounds


def doc(
    key: int,
    external_id: str,
    title: str,
    description: str = "",
    *,
    aliases: tuple[str, ...] = (),
    learned: tuple[str, ...] = (),
) -> SearchDoc:
    return SearchDoc(key, "desk", external_id, title, description, (), aliases, learned)


def ids(result: SearchResult) -> list[str]:
    return [hit.doc.external_id for hit in result.hits]


def assert_match(result: SearchResult, external_id: str) -> None:
    assert result.kind == "match", result
    assert ids(result) == [external_id]


@pytest.fixture(scope="module")
def desk() -> SearchIndex:
    return SearchIndex(
        [
            doc(1, "pacific-deal", "Withdraw from the Trans-Pacific Partnership"),
            doc(2, "epa-cuts", "Cut the Environmental Protection Agency budget by 10%"),
            doc(3, "aca-repeal", "Repeal the Affordable Care Act."),
            doc(4, "va-reform", "Fire the leaders of the Department of Veterans Affairs"),
            doc(5, "lobbying-ban", "A 5-year ban on officials becoming lobbyists"),
            doc(6, "salary", "Refuse the $400,000 salary and take $1"),
            doc(7, "ice-agents", "Triple U.S. Immigration and Customs Enforcement officers"),
            doc(8, "h1b", "Against the H-1B visa program"),
            doc(9, "amendment", "Sign the First Amendment Defense Act"),
            doc(10, "tax-cuts", "Cut taxes for the middle class", "Rates fall by 20 percent."),
        ]
    )


# --- acronyms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will withdraw from the Trans-Pacific Partnership", {"tpp"}),
        ("Rein in the Environmental Protection Agency.", {"epa"}),
        # A capitalised verb opening the sentence is also left out.
        ("Repeal the Affordable Care Act.", {"aca", "raca"}),
        ("Internal Revenue Service", {"irs"}),
        # Small words inside a name: left out, "of" also as "o", and the part after "of".
        ("the Department of Veterans Affairs", {"dva", "dova", "va"}),
        ("the Joint Comprehensive Plan of Action", {"jcpa", "jcpoa"}),
        ("the U.S. Immigration and Customs Enforcement", {"usice", "ice"}),
        # All-capitals words and initials count whole.
        ("funds for the UN Human Rights Council.", {"unhrc", "hrc"}),
        ("since World War II", {"wwii"}),
        ("the Secretary of Commerce and U.S. Trade Representative", {"scustr", "socustr", "ustr"}),
    ],
)
def test_acronyms_of_capitalised_names(text: str, expected: set[str]) -> None:
    assert acronyms(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cut taxes for the middle class", set()),  # nothing capitalised
        ("Health Savings Accounts", {"hsa"}),  # no two-letter leftovers ("sa")
        ("Defund Planned Parenthood.", {"dpp"}),  # nor "pp"
        ("If I win, Trump said", set()),  # "I" is not part of a name
        ("Bank of America", {"boa"}),  # "of" leaves a single letter: no "a"
        ('Washington, "Congress" and Mexico', set()),  # punctuation ends a name
    ],
)
def test_acronyms_are_conservative(text: str, expected: set[str]) -> None:
    assert acronyms(text) == expected


@pytest.mark.parametrize("query", ["TPP", "tpp", "t.p.p.", "T.P.P", "withdraw TPP"])
def test_acronym_queries(desk: SearchIndex, query: str) -> None:
    assert_match(desk.search(query), "pacific-deal")


def test_acronyms_from_titles_and_descriptions(desk: SearchIndex) -> None:
    assert_match(desk.search("EPA"), "epa-cuts")
    assert_match(desk.search("repeal ACA"), "aca-repeal")
    assert_match(desk.search("VA"), "va-reform")
    assert_match(desk.search("ICE officers"), "ice-agents")
    assert_match(desk.search("FADA"), "amendment")
    assert ids(desk.search("HSAs")) == []


def test_an_acronym_covers_the_title_words_it_stands_for(desk: SearchIndex) -> None:
    by_name = desk.rank("affordable care act")[0]
    by_acronym = desk.rank("aca")[0]
    assert by_name.doc.external_id == by_acronym.doc.external_id == "aca-repeal"
    assert by_acronym.score >= 55.0


def test_acronyms_are_matched_whole_never_by_prefix_or_typo(desk: SearchIndex) -> None:
    assert desk.search("tp") == SearchResult("none", ())
    assert "pacific-deal" not in ids(desk.search("tppx"))


def test_hyphenated_words_also_match_written_as_one(desk: SearchIndex) -> None:
    assert compounds("the H-1B visa, gun-free zones") == ["h1b", "gunfree"]
    assert_match(desk.search("H1B visas"), "h1b")


# --- number forms ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("five year", "5-year"),
        ("$1", "one dollar"),
        ("$1", "1 dollars"),
        ("10%", "10 percent"),
        ("10%", "ten pct"),
        ("1st", "first"),
        ("20th century", "twentieth century"),
        ("$25,000", "25000 dollars"),
        ("thirty days", "30 days"),
        ("a hundred", "100"),
        ("two million", "2 million"),
        ("seven to four", "7 to 4"),
    ],
)
def test_number_forms_compare_equal(one: str, other: str) -> None:
    assert words(one) == words(other)


def test_a_unit_counts_only_after_a_number() -> None:
    assert words("percent of 10 dollars") == ["percent", "10"]
    assert words("U.S. dollar") == ["us", "dollar"]


def test_number_form_queries(desk: SearchIndex) -> None:
    assert_match(desk.search("five year lobbying ban"), "lobbying-ban")
    assert_match(desk.search("one dollar salary"), "salary")
    assert_match(desk.search("$400,000 salary"), "salary")
    assert ids(desk.search("epa 10 percent"))[0] == "epa-cuts"
    assert ids(desk.search("twenty percent"))[0] == "tax-cuts"


# --- aliases ---------------------------------------------------------------------------------


def test_search_doc_keeps_its_constructor() -> None:
    plain = SearchDoc(1, "desk", "x", "Title", "Description", ("tag",))
    assert plain.aliases == () and plain.learned == ()


def test_aliases_rank_like_title_words_above_description_words() -> None:
    index = SearchIndex(
        [
            doc(1, "in-description", "Repeal the health law", "Known as Obamacare."),
            doc(2, "in-alias", "Repeal the Affordable Care Act", aliases=("replace obamacare",)),
            doc(3, "in-title", "Replace Obamacare"),
        ]
    )
    ranked = index.rank("obamacare")
    assert [hit.doc.external_id for hit in ranked][2] == "in-description"
    assert ranked[0].score == ranked[1].score > ranked[2].score


def test_a_query_that_is_a_whole_alias_opens_the_promise() -> None:
    index = SearchIndex(
        [
            doc(1, "dreamers", "Dreamers can maybe stay", aliases=("DACA", "deferred action")),
            doc(2, "wall", "Build a wall", "Deferred payments from Mexico."),
        ]
    )
    assert_match(index.search("daca"), "dreamers")
    assert_match(index.search("deferred action"), "dreamers")


def test_acronyms_of_aliases() -> None:
    index = SearchIndex([doc(1, "nato", "Allies must pay", aliases=("North Atlantic Treaty",))])
    assert_match(index.search("NAT"), "nato")


# --- learned picks ---------------------------------------------------------------------------


def test_query_key_ignores_case_punctuation_and_stop_words() -> None:
    assert query_key("  The ObamaCare repeal! ") == query_key("obamacare repeal") != ""


def test_a_learned_query_ranks_that_promise_first_and_opens_it() -> None:
    docs = [
        doc(1, "wealthy-pay", "The wealthy should pay more", learned=("Tax the RICH",)),
        doc(2, "cut-taxes", "Cut taxes for the rich"),
        doc(3, "other", "Something else"),
    ]
    index = SearchIndex(docs)
    assert_match(index.search("tax the rich"), "wealthy-pay")
    assert_match(index.search("tax rich!"), "wealthy-pay")
    # Only that query: others rank as before.
    assert index.rank("cut taxes")[0].doc.external_id == "cut-taxes"


def test_a_learned_query_finds_a_promise_without_those_words() -> None:
    index = SearchIndex([doc(1, "a", "Alpha"), doc(2, "b", "Beta", learned=("gamma ray",))])
    assert_match(index.search("gamma ray"), "b")


def test_several_learned_promises_for_one_query_stay_a_pick_list() -> None:
    index = SearchIndex(
        [
            doc(1, "a", "Border wall", learned=("the wall",)),
            doc(2, "b", "Wall Street reform", learned=("the wall",)),
            doc(3, "c", "Great wall of China"),
        ]
    )
    result = index.search("the wall")
    assert result.kind == "ambiguous"
    assert set(ids(result)[:2]) == {"a", "b"}


def test_an_exact_id_wins_over_a_learned_query() -> None:
    index = SearchIndex([doc(1, "wall", "Border wall"), doc(2, "other", "x", learned=("wall",))])
    assert_match(index.search("wall"), "wall")
