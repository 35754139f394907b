"""What retrieval hands to the dialogue: ranked hits and, above the threshold, one answer."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its source; `score` is the fused score the threshold applies to."""

    doc_id: str
    passage_id: str
    title: str
    url: str | None
    heading: str
    text: str
    score: float
    dense: float
    lexical: float
    language: str = "en"  # of the passage's document

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """The best passage, trimmed for a chat bubble, with the article it came from."""

    text: str
    title: str
    url: str | None
    doc_id: str
    score: float
    hits: list[Hit] = field(default_factory=list)
    language: str = "en"  # of the article it came from

    def to_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in asdict(self).items() if k != "hits"}, "hits": [h.to_dict() for h in self.hits]}


def trim_for_chat(text: str, max_chars: int = 600) -> str:
    """Cut at the last sentence or list item that fits, so a bubble never ends mid-word."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    paragraph = head.rfind("\n\n")
    if paragraph >= max_chars // 2:
        cut = paragraph
    else:
        cut = max(head.rfind(". "), head.rfind(".\n"), head.rfind("\n"), head.rfind("! "), head.rfind("? "))
    if cut < max_chars // 3:
        cut = head.rfind(" ")
        return re.sub(r"[\s,;:]+$", "", head[:cut]) + " …"
    kept = head[: cut + 1].rstrip()
    kept = re.sub(r"(\n\s*\*\*[^*\n]+\*\*\s*)+$", "", kept)  # never end on a dangling sub-heading
    return kept.rstrip() + " …"
