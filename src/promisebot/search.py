"""Ranking of promises for an editor's query: exact ids, learned picks, then typo-tolerant words.

Pure and in memory: build a `SearchIndex` once from `SearchDoc`s and reuse it for every query.
The words compared, acronyms included, come from `search_terms`.
"""

from __future__ import annotations

import heapq
import math
import re
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Literal

from rapidfuzz import fuzz, process

from promisebot.search_terms import (
    acronyms,
    compounds,
    names,
    normalise,
    query_key,
    stem,
    words,
)

__all__ = [
    "SearchDoc",
    "SearchHit",
    "SearchIndex",
    "SearchResult",
    "acronyms",
    "normalise",
    "query_key",
    "stem",
    "words",
]

# How much a word counts depending on where it was found in the promise.
_FIELD_WEIGHTS = {
    "title": 1.0,
    "aliases": 1.0,
    "id": 0.9,
    "tags": 0.85,
    "description": 0.7,
    "tracker": 0.4,
}
# Newsroom shorthand that no amount of fuzzy matching would recover.
_SHORTHAND = {
    "admin": "administration",
    "cop": "police",
    "cops": "police",
    "dept": "department",
    "doj": "justice department",
    "gov": "government",
    "govt": "government",
    "intl": "international",
    "natl": "national",
    "gop": "republican",
    "potus": "president",
    "scotus": "supreme court",
    "tv": "television",
}
# Acronym terms share the postings under this prefix, apart from the words (so no prefix or
# typo match ever reaches them).
ACRONYM = "^"
_ID_QUERY = re.compile(r"[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)?")

_MIN_PREFIX = 3  # shorter fragments match too much of the vocabulary to mean anything
_MAX_PREFIX_TERMS = 64
# "immigrants" may use "immigr(ation)", but "policy" must not use "polic(e)".
_MIN_REVERSE_PREFIX = 6
_MIN_FUZZY = 4
_FUZZY_LIMIT = 6
_FUZZY_CUTOFF = 75.0
_TITLE_BONUS = 0.15  # share of the score earned by covering the whole title
_RESCORE = 50
_MAX_QUERY_WORDS = 8  # a pasted paragraph must not cost a fuzzy pass per word

# The decision on 0..100 scores: one winner this good and this far ahead opens its card;
# otherwise everything near the top above the floor is offered; below the floor, suggestions.
MATCH_MIN = 55.0
MATCH_GAP = 10.0
FLOOR = 35.0
AMBIGUOUS_WINDOW = 15.0
SUGGEST_MIN = 12.0


@dataclass(frozen=True, slots=True)
class SearchDoc:
    """What search needs of a promise; `key` is its database id."""

    key: int
    tracker: str
    external_id: str
    title: str
    description: str
    tags: tuple[str, ...]
    # Search words editors gave the promise; they count like title words.
    aliases: tuple[str, ...] = ()
    # Queries after which someone picked this promise; they rank it first for that query.
    learned: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A promise and how well it matches, 0..100 (100: its exact id)."""

    doc: SearchDoc
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """match: the winner alone; ambiguous: up to 5 close candidates; none: up to 3 suggestions."""

    kind: Literal["match", "ambiguous", "none"]
    hits: tuple[SearchHit, ...]


class SearchIndex:
    """Inverted index of word forms → postings, plus id lookups, kept compact: per term, the
    positions of the docs holding it grouped by field weight in `array`s; per doc, only what
    a hit shows (key, tracker, id, title) and the stems ranking compares, never the description.
    """

    __slots__ = (
        "_acronym_stems",
        "_alias_stems",
        "_by_id",
        "_by_length",
        "_by_path",
        "_external_ids",
        "_keys",
        "_learned",
        "_near_length",
        "_postings",
        "_title_stems",
        "_titles",
        "_tracker_of",
        "_trackers",
        "_vocab",
    )

    def __init__(self, docs: Iterable[SearchDoc]) -> None:
        self._keys = array("q")
        self._trackers: list[str] = []
        self._tracker_of = array("H")
        self._external_ids: list[str] = []
        self._titles: list[str] = []
        # Distinct title stems per doc; stems are shared strings (see `_stems`).
        self._title_stems: list[tuple[str, ...]] = []
        # Most promises have no aliases: they all share the one empty tuple.
        self._alias_stems: list[tuple[tuple[str, ...], ...]] = []
        # What each acronym stands for, so that "TPP" covers "Trans-Pacific Partnership".
        self._acronym_stems: dict[str, set[str]] = {}
        self._learned: dict[str, list[int]] = {}
        self._by_id: dict[str, list[int]] = {}
        self._by_path: dict[str, int] = {}
        building: dict[str, dict[float, array[int]]] = {}
        stems: dict[str, str] = {}
        trackers: dict[str, int] = {}
        # Trackers and tag lists repeat across promises: their terms are worked out once.
        repeated: dict[tuple[str, str], list[str]] = {}
        for pos, doc in enumerate(docs):
            self._keys.append(doc.key)
            tracker = trackers.setdefault(doc.tracker, len(trackers))
            if tracker == len(self._trackers):
                self._trackers.append(doc.tracker)
            self._tracker_of.append(tracker)
            self._external_ids.append(doc.external_id)
            self._titles.append(doc.title)
            found: dict[str, float] = {}
            fields = (
                ("title", doc.title),
                ("aliases", " ; ".join(doc.aliases)),
                ("id", doc.external_id),
                ("tags", " ; ".join(doc.tags)),
                ("description", doc.description),
                ("tracker", doc.tracker),
            )
            for field, text in fields:
                if not text:
                    continue
                weight = _FIELD_WEIGHTS[field]
                if field in ("tags", "tracker"):
                    terms = repeated.get((field, text))
                    if terms is None:
                        terms = repeated[(field, text)] = self._terms(field, text, stems)
                else:
                    terms = self._terms(field, text, stems)
                for term in terms:
                    if found.get(term, 0.0) < weight:
                        found[term] = weight
            for term, weight in found.items():
                groups = building.get(term)
                if groups is None:
                    groups = building[term] = {}
                positions = groups.get(weight)
                if positions is None:
                    positions = groups[weight] = array("i")
                positions.append(pos)
            self._title_stems.append(tuple(dict.fromkeys(_stems(words(doc.title), stems))))
            self._alias_stems.append(
                tuple(tuple(dict.fromkeys(_stems(words(a), stems))) for a in doc.aliases)
                if doc.aliases
                else ()
            )
            for query in doc.learned:
                key = query_key(query)
                if key and pos not in self._learned.get(key, ()):
                    self._learned.setdefault(key, []).append(pos)
            self._by_id.setdefault(doc.external_id.casefold(), []).append(pos)
            self._by_path[f"{doc.tracker}/{doc.external_id}".casefold()] = pos
        # Heaviest field first: the ranking takes each doc's best weight per term.
        self._postings: dict[str, tuple[tuple[float, array[int]], ...]] = {
            term: tuple(sorted(groups.items(), reverse=True)) for term, groups in building.items()
        }
        del building
        self._vocab = sorted(term for term in self._postings if not term.startswith(ACRONYM))
        # Built on the first query that needs typo correction (see `_similar_length`).
        self._by_length: dict[int, list[str]] | None = None
        self._near_length: dict[int, list[str]] = {}

    def _terms(self, field: str, text: str, stems: dict[str, str]) -> list[str]:
        """The terms one field of a promise is found by (its words, their stems, compounds,
        acronyms); records what each acronym stands for."""
        found = words(text)
        terms = found + _stems(found, stems)
        if field == "id" or field == "tracker":
            return terms
        terms += compounds(text)
        if text.lower() != text:
            for acronym, name in names(text).items():
                terms.append(ACRONYM + acronym)
                expansion = self._acronym_stems.setdefault(ACRONYM + acronym, set())
                expansion.update(_stems(words(" ".join(name)), stems))
        return terms

    def __len__(self) -> int:
        return len(self._keys)

    def search(self, query: str) -> SearchResult:
        by_id = self._exact_id(query)
        if len(by_id) == 1:
            return SearchResult("match", tuple(by_id))
        if by_id:
            return SearchResult("ambiguous", tuple(by_id[:5]))
        hits = self._rank_words(query, limit=10)
        learned = self._learned.get(query_key(query), []) if self._learned else []
        if len(learned) == 1 and hits and hits[0].doc.key == self._keys[learned[0]]:
            # Someone picked this promise after this very query: open it.
            return SearchResult("match", (hits[0],))
        if not hits or hits[0].score < FLOOR:
            return SearchResult("none", tuple(h for h in hits[:3] if h.score >= SUGGEST_MIN))
        top = hits[0].score
        second = hits[1].score if len(hits) > 1 else 0.0
        if top >= MATCH_MIN and top - second >= MATCH_GAP:
            return SearchResult("match", (hits[0],))
        close = [h for h in hits if h.score >= max(FLOOR, top - AMBIGUOUS_WINDOW)]
        return SearchResult("ambiguous", tuple(close[:5]))

    def rank(self, query: str, limit: int = 10) -> list[SearchHit]:
        by_id = self._exact_id(query)
        seen = {hit.doc.key for hit in by_id}
        rest = [h for h in self._rank_words(query, limit + len(by_id)) if h.doc.key not in seen]
        return (by_id + rest)[:limit]

    def _exact_id(self, query: str) -> list[SearchHit]:
        text = query.strip().casefold().replace("_", "-")
        if not _ID_QUERY.fullmatch(text):
            return []
        if "/" in text:
            found = self._by_path.get(text)
            positions = [] if found is None else [found]
        else:
            positions = self._by_id.get(text, [])
        return self._sorted(SearchHit(self._doc(p), 100.0) for p in positions)

    def _expand(self, word: str) -> dict[str, float]:
        """Vocabulary terms this query word may stand for, each with a match quality in 0..1."""
        found: dict[str, float] = {}

        def offer(term: str, quality: float) -> None:
            if quality > found.get(term, 0.0):
                found[term] = quality

        base = stem(word)
        for term in {word, base, ACRONYM + word, ACRONYM + base}:
            if term in self._postings:
                offer(term, 1.0)
        if word.isdigit():
            return found
        for fragment in {word, base}:
            if len(fragment) < _MIN_PREFIX:
                continue
            start = bisect_left(self._vocab, fragment)
            for term in self._vocab[start : start + _MAX_PREFIX_TERMS]:
                if not term.startswith(fragment):
                    break
                offer(term, 0.7 + 0.25 * len(fragment) / len(term))
        for k in range(len(base) - 1, _MIN_REVERSE_PREFIX - 1, -1):
            if base[:k] in self._postings:
                offer(base[:k], 0.6 + 0.3 * k / len(base))
                break
        # A word the promises use (whole or as a prefix) is taken as spelled; only unknown words
        # get typo correction, which also keeps the slow path off most queries.
        if found or len(word) < _MIN_FUZZY:
            return found
        # Short words need a stricter cutoff: one edit in "putin" must not reach "put".
        cutoff = 85.0 if len(word) == 4 else 80.0 if len(word) <= 6 else _FUZZY_CUTOFF
        corrections = process.extract(
            word,
            self._similar_length(len(word)),
            scorer=fuzz.ratio,
            score_cutoff=cutoff,
            limit=_FUZZY_LIMIT,
        )
        # Keep the likeliest corrections, not every word that is merely close; a correction is
        # worth 0.55 (at the cutoff) to 0.95 (nearly identical) of an exact word.
        for term, score, _ in corrections:
            if score >= corrections[0][1] - 10.0:
                offer(term, 0.55 + 0.4 * (score - _FUZZY_CUTOFF) / (100.0 - _FUZZY_CUTOFF))
        return found

    def _similar_length(self, length: int) -> list[str]:
        """Vocabulary terms whose length still allows `fuzz.ratio` to reach the cutoff."""
        terms = self._near_length.get(length)
        if terms is None:
            if self._by_length is None:
                # Numbers are not typo-corrected ("2024" is not a misspelt "2025"), and they
                # are most of a large tracker's vocabulary.
                self._by_length = {}
                for term in self._vocab:
                    if not term.isdigit():
                        self._by_length.setdefault(len(term), []).append(term)
            ratio = _FUZZY_CUTOFF / 100.0
            terms = [
                term
                for size, bucket in self._by_length.items()
                if 2 * min(length, size) >= ratio * (length + size)
                for term in bucket
            ]
            self._near_length[length] = terms
        return terms

    def _rank_words(self, query: str, limit: int) -> list[SearchHit]:
        query_words = [w for word in words(query) for w in words(_SHORTHAND.get(word, word))]
        if not query_words or not self._keys:
            return []
        # Per query word: the best (quality * field weight) in each doc, and how much the word
        # counts. Rare words identify a promise better than common ones, and a word matched
        # only through a doubtful typo correction counts for less.
        scored: list[tuple[dict[int, float], float]] = []
        matched_terms: set[str] = set()
        missing = 0
        for word in list(dict.fromkeys(query_words))[:_MAX_QUERY_WORDS]:
            expansion = self._expand(word)
            if not expansion:
                missing += 1
                continue
            groups: list[tuple[float, array[int]]] = []
            for term, quality in expansion.items():
                if quality >= 0.7:
                    matched_terms.add(term)
                groups.extend((quality * weight, found) for weight, found in self._postings[term])
            # Lowest value first, so each doc ends with its best one (merged in C, not per doc).
            groups.sort(key=itemgetter(0))
            best = dict.fromkeys(groups[0][1], groups[0][0])
            for value, found in groups[1:]:
                best.update(dict.fromkeys(found, value))
            idf = math.log(1.0 + len(self._keys) / len(best))
            scored.append((best, idf * max(expansion.values())))
        learned = self._learned.get(query_key(query), []) if self._learned else []
        if not scored and not learned:
            return []
        # A word found nowhere still counts as an average one, so "bicycle lanes" is only a
        # weak match for "bus lanes".
        total = sum(w for _, w in scored) * (1.0 + missing / len(scored)) if scored else 1.0
        coarse: dict[int, float] = {}
        for best, weight in scored:
            if not coarse:
                coarse = {pos: weight * value / total for pos, value in best.items()}
                continue
            get = coarse.get
            for pos, value in best.items():
                coarse[pos] = get(pos, 0.0) + weight * value / total
        top = heapq.nlargest(max(_RESCORE, limit), coarse.items(), key=itemgetter(1))
        in_top = {pos for pos, _ in top}
        top += [(pos, coarse.get(pos, 0.0)) for pos in learned if pos not in in_top]

        matched_stems = matched_terms | {stem(t) for t in matched_terms}
        for term in matched_terms:
            if term.startswith(ACRONYM):
                matched_stems |= self._acronym_stems[term]
        hits = []
        for pos, share in top:
            title = self._title_stems[pos]
            coverage = len(matched_stems.intersection(title)) / len(title) if title else 0.0
            # Covering a whole alias counts like covering the whole title.
            for alias in self._alias_stems[pos]:
                if alias:
                    coverage = max(coverage, len(matched_stems.intersection(alias)) / len(alias))
            score = 100.0 * ((1.0 - _TITLE_BONUS) * share + _TITLE_BONUS * coverage)
            hits.append(SearchHit(self._doc(pos), round(score, 1)))
        if learned:
            hits = self._first_learned(hits, {self._keys[pos] for pos in learned})
        return self._sorted(hits)[:limit]

    def _doc(self, pos: int) -> SearchDoc:
        """What a hit shows of the doc at `pos`; the description is not kept."""
        tracker = self._trackers[self._tracker_of[pos]]
        key, external_id, title = self._keys[pos], self._external_ids[pos], self._titles[pos]
        return SearchDoc(key, tracker, external_id, title, "", ())

    @staticmethod
    def _first_learned(hits: list[SearchHit], learned: set[int]) -> list[SearchHit]:
        """Promises people picked after this very query go first, at least a match's gap ahead
        of the rest where the 0..100 scale allows it."""
        rest = max((h.score for h in hits if h.doc.key not in learned), default=0.0)
        lifted = min(99.9, max(MATCH_MIN, rest + MATCH_GAP))
        return [SearchHit(h.doc, max(h.score, lifted)) if h.doc.key in learned else h for h in hits]

    @staticmethod
    def _sorted(hits: Iterable[SearchHit]) -> list[SearchHit]:
        return sorted(hits, key=lambda h: (-h.score, h.doc.tracker, h.doc.external_id))


def _stems(found: Iterable[str], known: dict[str, str]) -> list[str]:
    """The stems of `found`, one shared string per distinct stem (`known` maps word → stem)."""
    result = []
    for word in found:
        base = known.get(word)
        if base is None:
            base = known[word] = sys.intern(stem(word))
        result.append(base)
    return result
