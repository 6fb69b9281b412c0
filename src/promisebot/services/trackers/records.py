"""One row of a tracker data file as pydantic models: field parsing, the column sizes of
the tables, and pydantic errors turned into `<field> <problem>` phrases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)
from pydantic_core import ErrorDetails

from promisebot.domain import (
    DUE_LABEL_MAX,
    EARLIEST_DUE_ON,
    PUBLISHER_MAX,
    TITLE_MAX,
    URL_MAX,
    Rating,
    UnknownRating,
    parse_rating,
    url_problem,
)
from promisebot.services.lookup.aliases import InvalidAlias, alias_words

SLUG_MAX = 64
EXTERNAL_ID_MAX = 100
NAME_MAX = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (expected YYYY-MM-DD)")


def _parse_due_on(value: object) -> date:
    due_on = _parse_date(value)
    if due_on < EARLIEST_DUE_ON:
        raise ValueError(f"{value!r} is before {EARLIEST_DUE_ON.year} (expected YYYY-MM-DD)")
    return due_on


def _parse_rating(value: object) -> Rating:
    if isinstance(value, Rating):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a rating name")
    try:
        return parse_rating(value)
    except UnknownRating as error:
        raise ValueError(str(error)) from None


def _check_url(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if len(value) > URL_MAX:
            raise ValueError(f"is longer than {URL_MAX} characters")
        problem = url_problem(value)
        if problem:
            raise ValueError(problem)
    return value


def _check_slug(value: object) -> object:
    if isinstance(value, str) and any(ch.isspace() for ch in value.strip()):
        raise ValueError(f"{value.strip()!r} must not contain spaces")
    return value


def _text_list(value: object, noun: str) -> list[str]:
    """A `;`-separated cell or a list of texts, stripped, blanks left out."""
    if isinstance(value, str):
        items: Iterable[object] = value.split(";")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValueError(f"must be a list of {noun}")
    texts: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"{item!r} is not text")
        text = item.strip()
        if ";" in text:
            raise ValueError(f"{text!r} contains ';', which separates {noun}")
        if text:
            texts.append(text)
    return texts


def _parse_tags(value: object) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_text_list(value, "tags")))


def _parse_aliases(value: object) -> tuple[str, ...]:
    """Aliases as `/promise alias` takes them; one alias per key (the first one written)."""
    aliases: dict[str, str] = {}
    for text in _text_list(value, "aliases"):
        try:
            alias, key = alias_words(text)
        except InvalidAlias as error:
            raise ValueError(str(error)) from None
        aliases.setdefault(key, alias)
    return tuple(aliases.values())


def _stripped(max_length: int | None = None) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, max_length=max_length)


Text = Annotated[str, Strict(), _stripped()]
Title = Annotated[str, Strict(), _stripped(TITLE_MAX)]
Publisher = Annotated[str, Strict(), _stripped(PUBLISHER_MAX)]
Name = Annotated[str, Strict(), _stripped(NAME_MAX)]
Slug = Annotated[str, Strict(), _stripped(SLUG_MAX), BeforeValidator(_check_slug)]
ExternalId = Annotated[str, Strict(), _stripped(EXTERNAL_ID_MAX), BeforeValidator(_check_slug)]
WebLink = Annotated[str, Strict(), BeforeValidator(_check_url)]
IsoDate = Annotated[date, BeforeValidator(_parse_date)]
DueOn = Annotated[date, BeforeValidator(_parse_due_on)]
DueLabel = Annotated[str, Strict(), _stripped(DUE_LABEL_MAX)]
RatingName = Annotated[Rating, BeforeValidator(_parse_rating)]
Tags = Annotated[tuple[str, ...], BeforeValidator(_parse_tags)]
Aliases = Annotated[tuple[str, ...], BeforeValidator(_parse_aliases)]


class _Entry(BaseModel):
    """Unknown keys are refused (typos are caught); null or blank values count as absent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_blank(cls, data: object) -> object:
        if not isinstance(data, Mapping):
            return data
        known = _keys(cls)
        return {key: value for key, value in data.items() if key not in known or not _blank(value)}


@cache
def _keys(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items())


class EvidenceEntry(_Entry):
    url: WebLink
    title: Title = ""
    publisher: Publisher = ""
    published_on: IsoDate | None = None
    note: Text = ""


class HistoryEntry(_Entry):
    from_rating: RatingName = Field(alias="from")
    to_rating: RatingName = Field(alias="to")
    effective_on: IsoDate
    rationale: Text = ""


class PromiseRecord(_Entry):
    """One validated row: a promise with its tracker, evidence and rating history."""

    tracker: Slug
    tracker_name: Name = ""
    tracker_subject: Name = ""
    id: ExternalId
    title: Title
    description: Text = ""
    tags: Tags = ()
    aliases: Aliases = ()
    rating: RatingName
    rated_on: IsoDate
    source_url: WebLink = ""
    due_on: DueOn | None = None
    due_label: DueLabel = ""
    evidence: tuple[EvidenceEntry, ...] = ()
    history: tuple[HistoryEntry, ...] = ()


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def describe_row_error(detail: ErrorDetails) -> str:
    """A pydantic error as `<field> <problem>`, e.g. `evidence #2 url ... is not a web link`."""
    location: list[str] = []
    for part in detail["loc"]:
        if isinstance(part, int):
            location.append(f"#{part + 1}")
        else:
            location.append(str(part))
    kind = detail["type"]
    if kind == "extra_forbidden":
        where = " ".join(location[:-1])
        return f"{where} unknown field {location[-1]!r}".lstrip()
    where = " ".join(location)
    if kind in _MESSAGES:
        return f"{where} {_MESSAGES[kind]}"
    if kind == "string_too_long":
        limit = (detail.get("ctx") or {}).get("max_length")
        return f"{where} is longer than {limit} characters"
    message = detail["msg"].removeprefix("Value error, ")
    return f"{where} {message[:1].lower()}{message[1:]}"
