"""The words search compares: normalised text, stop words, one form for numbers, stems, and
the acronyms of capitalised names. Pure functions; `search` builds its index from them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_STOP_TEXT = (
    "a about after all an and any are as at be been by did do does for from had has have he her "
    "his how i in into is it its me my no not of on or our over she so than that the their them "
    "then there they this to up was we were what when where which who why will with would you "
    "promise promises promised pledge pledged rating rated status "
    # Light verbs and particles: "make", "take it down" say nothing about the topic.
    "make makes take takes get gets put puts let lets give gives down out off"
)
_STOP_WORDS = frozenset(_STOP_TEXT.split())
# Number forms: words and digits compare equal ("five year" = "5-year", "1st" = "first"), and a
# unit after a number is dropped ("10 percent" = "10%", "one dollar" = "$1").
_NUMBER_TEXT = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
)
_NUMBERS = {word: str(n) for n, word in enumerate(_NUMBER_TEXT.split())}
_TENS = ("thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_NUMBERS |= {word: str(10 * n) for n, word in enumerate(_TENS, start=3)}
_NUMBERS |= {"hundred": "100", "thousand": "1000", "million": "1000000", "billion": "1000000000"}
_ORDINAL_TEXT = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)


def _ordinal(n: int) -> str:
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th") if n not in (11, 12, 13) else "th"
    return f"{n}{suffix}"


_NUMBERS |= {_ordinal(n): word for n, word in enumerate(_ORDINAL_TEXT.split(), start=1)}
_UNITS = frozenset({"percent", "pct", "dollar", "dollars", "usd"})
_WORD = re.compile(r"[a-z0-9]+(?:,[0-9]{3})*")
_COMPOUND = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
# "t.p.p." and "U.S." are one word each.
_DOTTED = re.compile(r"\b[a-z](?:\.[a-z]\b)+\.?")
# Acronyms: a run of capitalised words, which may hold these small words ("Department of
# Veterans Affairs"); anything else, or punctuation that ends a phrase, ends the run.
_NAME_LINKS = frozenset({"of", "and", "for", "the", "on", "&"})
_NAME_TOKEN = re.compile(r"[^\s\-\u2010-\u2015/]+")
_INITIALS = re.compile(r"(?:[A-Z]\.)+")
_PUNCTUATION = "\"'()[]{},;:.!?\u2018\u2019\u201c\u201d"
_PHRASE_ENDS = frozenset(',;:.!?")]\u201d')
_LINK_PARTS = ("", "o")  # how a small word sits in a name's initials ("of" as "o")
_PHRASE_OPENS = frozenset('"([\u201c')
_CAPITAL = re.compile("[A-Z]")


def normalise(text: str) -> str:
    """Casefold and strip accents, so "Peña" and "pena" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return decomposed.encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """The meaningful words of `text`: normalised, without stop words or stray letters, and
    numbers in one form ("five", "5" → "5"; "1st" → "first"; "10 percent", "10%" → "10")."""
    text = normalise(text)
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    found = [
        _NUMBERS.get(w, w)
        for w in _WORD.findall(text)
        if (len(w) > 1 or w.isdigit()) and w not in _STOP_WORDS
    ]
    if "," in text:
        found = [w.replace(",", "") for w in found]
    if not _UNITS.isdisjoint(found):
        found = [
            w for i, w in enumerate(found) if not (w in _UNITS and i and found[i - 1].isdigit())
        ]
    return found


def query_key(query: str) -> str:
    """The form in which a learned query is remembered and recognised: its words, in order."""
    return " ".join(words(query))


def compounds(text: str) -> list[str]:
    """Hyphenated words written as one ("H-1B" → "h1b", "gun-free" → "gunfree")."""
    if "-" not in text:
        return []
    return [match.replace("-", "") for match in _COMPOUND.findall(normalise(text))]


def acronyms(text: str) -> set[str]:
    """Acronyms of the capitalised names in `text`, lowercased; conservative by design.

    A name is a run of two or more capitalised words; hyphens split words ("Trans-Pacific
    Partnership" → tpp); an all-capitals word or initials count whole ("UN Human Rights
    Council" → unhrc, "U.S. Trade Representative" → ustr, "World War II" → wwii); the small
    words of/and/for/the/on/& may sit inside it; "I" and punctuation that ends a phrase end
    it. A name gives its initials without the small words ("Immigration and Customs
    Enforcement" → ice); with "of" as "o" too when it has one ("Joint Comprehensive Plan of
    Action" → jcpoa and jcpa); the part after its last small word ("Secretary of Commerce
    and U.S. Trade Representative" → ustr); and, when it opens a sentence or starts with an
    all-capitals word, itself without that first word ("Repeal the Affordable Care Act" →
    aca, "U.S. Immigration and Customs Enforcement" → ice). Acronyms have three letters or
    more, except the part after "of" ("Department of Veterans Affairs" → va, dva, dova).
    """
    return set(names(text))


def names(text: str) -> dict[str, list[str]]:
    """The acronyms in `text` (see `acronyms`), each with the words of the name it stands for."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    found: dict[str, list[str]] = {}
    first = _CAPITAL.search(text)
    if first is None or _CAPITAL.search(text, first.end()) is None:
        return found  # a name takes two capitalised words
    run: list[tuple[str, str]] = []  # (initials, word); small words have "" ("of": "o")
    droppable = False  # may the run's first word be left out?
    sentence_start = True
    for token in _NAME_TOKEN.findall(text):
        initials = _INITIALS.fullmatch(token.rstrip(",;:")) is not None
        if initials:
            word = token.replace(".", "").rstrip(",;:")
            ends = token[-1] in ",;:"
        else:
            word = token.strip(_PUNCTUATION)
            ends = token[-1] in _PHRASE_ENDS
        if word.endswith("'s"):
            word = word[:-2]
        if token[0] in _PHRASE_OPENS or not word or word == "I":
            _close(run, droppable, found)
        link = word.casefold() in _NAME_LINKS
        if word[:1].isupper() and word != "I" and (run or not link):
            if not run:
                droppable = sentence_start or initials or (word.isupper() and len(word) > 1)
            run.append((word if word.isupper() and word.isalpha() else word[0], word))
        elif run and link:
            run.append(("o" if word.casefold() == "of" else "", word))
        else:
            _close(run, droppable, found)
        if ends:
            _close(run, droppable, found)
        sentence_start = not initials and token[-1] in ".!?:"
    _close(run, droppable, found)
    return found


def _close(run: list[tuple[str, str]], droppable: bool, found: dict[str, list[str]]) -> None:
    """Add the acronyms of the name in `run` (see `acronyms`) to `found`, and empty `run`."""
    if not run:
        return
    while run and run[-1][0] in _LINK_PARTS:
        run.pop()
    spans = [(run, False)]
    links = [i for i, (part, _) in enumerate(run) if part in _LINK_PARTS]
    if links:
        # Only "of" leaves a two-letter name behind ("Department of Veterans Affairs").
        spans.append((run[links[-1] + 1 :], run[links[-1]][0] == "o"))
    if droppable:
        rest = run[1:]
        while rest and rest[0][0] in _LINK_PARTS:
            rest = rest[1:]
        spans.append((rest, False))
    for span, two_letters in spans:
        parts = [part for part, _ in span]
        capitals = [part for part in parts if part not in _LINK_PARTS]
        if len(capitals) < 2:
            continue
        name = [word.casefold() for part, word in span if part not in _LINK_PARTS]
        for acronym in {"".join(capitals), "".join(parts).upper()}:
            if len(acronym) >= 3 or (two_letters and len(acronym) == 2):
                found.setdefault(acronym.casefold(), name)
    run.clear()


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A deliberately small suffix stripper: plurals first, then one common ending."""
    if word.isdigit() or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes", "uses")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ation", "ing", "ed", "ly", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word
