"""Convert TrumpTracker's `_data/data.yaml` into the tracker data file format, as it is.

Run: .venv/bin/python benchmarks/data/build_trumptracker.py data.yaml > trumptracker.json
(needs PyYAML; the converted file is committed, so the benchmark does not.)
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

# TrumpTracker's five statuses in this project's rating names.
RATINGS = {
    "Not started": "Not Yet Rated",
    "In progress": "In the Works",
    "Achieved": "Promise Kept",
    "Broken": "Promise Broken",
    "Compromised": "Compromise",
}
# The data file carries no per-promise dates: every rating is dated by the file's last commit.
RATED_ON = "2018-08-27"
EXTERNAL_ID_MAX = 100
TITLE_MAX = 300
_TAG = re.compile(r"<[^>]+>")
_SENTENCE_END = re.compile(r"(?<=[.:])\s+")


def text(value: object) -> str:
    plain = html.unescape(_TAG.sub(" ", str(value or "")))
    return " ".join(plain.split())


def split_title(title: str, description: str) -> tuple[str, str]:
    """Seven titles are longer than the importer allows: keep the whole sentences that fit as
    the title and move the rest to the front of the description, so no word is lost."""
    if len(title) <= TITLE_MAX:
        return title, description
    head = ""
    for cut in _SENTENCE_END.finditer(title):
        if cut.start() > TITLE_MAX:
            break
        head = title[: cut.start()]
    rest = title[len(head) :].strip()
    return head, " ".join(part for part in (rest, description) if part)


def row(promise: dict[str, Any]) -> dict[str, object]:
    slug = promise["url"].rstrip("/").rsplit("/", 1)[1]
    title, description = split_title(text(promise["title"]), text(promise.get("description")))
    tags = [promise["category"], *(promise.get("tags") or [])]
    return {
        "tracker": "trumptracker",
        "tracker_name": "TrumpTracker",
        "tracker_subject": "Donald Trump",
        "id": slug[:EXTERNAL_ID_MAX].rstrip("-"),
        "title": title,
        "description": description,
        "tags": list(dict.fromkeys(t for t in (text(tag) for tag in tags) if t)),
        "rating": RATINGS[promise["status"]],
        "rated_on": RATED_ON,
        "source_url": promise["url"],
    }


def main() -> None:
    data = yaml.safe_load(Path(sys.argv[1]).read_text(encoding="utf-8"))
    rows = [row(promise) for promise in data["promises"]]
    json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
