"""Content gaps: the shoppers' questions the help centre could not answer, grouped and re-checked.

A support lead closes a gap by writing or editing an article. Grouping paraphrases shows which
missing answer matters most; re-asking every group against the current index shows which gaps an
edit has already closed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from knowledge_base.index import KnowledgeBase

MAX_WORDINGS = 5


@dataclass(frozen=True)
class Gap:
    """One missing answer: the questions asked about it and the index's best candidate today."""

    question: str  # the wording asked most often
    asked: int
    wordings: list[str] = field(default_factory=list)  # other distinct wordings, most asked first
    last_asked: datetime | None = None
    closest_doc: str | None = None
    closest_title: str | None = None
    score: float = 0.0
    answered_now: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"question": self.question, "asked": self.asked, "wordings": self.wordings,
                "last_asked": self.last_asked.isoformat() if self.last_asked else None,
                "closest_doc": self.closest_doc, "closest_title": self.closest_title,
                "score": round(self.score, 4), "answered_now": self.answered_now}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower().rstrip("?!. ")


def find_gaps(kb: KnowledgeBase, asked: list[tuple[str, datetime | None]], similarity: float = 0.75) -> list[Gap]:
    """Group the unanswered questions by meaning and re-check each group against `kb`.

    Wordings that differ only in case, spacing or end punctuation count as one; the others join the
    group of the most-asked wording whose embedding is within `similarity` (cosine), greedily. Gaps
    still unanswered come first, then by how often they were asked.
    """
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    last: dict[str, datetime] = {}
    for text, at in asked:
        key = _key(text)
        if not key:
            continue
        counts[key] += 1
        shown.setdefault(key, text.strip())
        if at is not None:
            last[key] = max(at, last.get(key, at))
    keys = [k for k, _ in counts.most_common()]
    if not keys:
        return []
    vectors = kb.embedder.encode([shown[k] for k in keys])
    groups: list[list[int]] = []
    for i, vec in enumerate(vectors):
        home = next((g for g in groups if float(vectors[g[0]] @ vec) >= similarity), None)
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    gaps = []
    for members in groups:
        lead = keys[members[0]]
        hits = kb.search(shown[lead], k=1, query_vector=vectors[members[0]])
        times = [last[keys[m]] for m in members if keys[m] in last]
        gaps.append(Gap(
            question=shown[lead], asked=sum(counts[keys[m]] for m in members),
            wordings=[shown[keys[m]] for m in members[1:MAX_WORDINGS + 1]],
            last_asked=max(times) if times else None,
            closest_doc=hits[0].doc_id if hits else None, closest_title=hits[0].title if hits else None,
            score=float(hits[0].score) if hits else 0.0,
            answered_now=bool(hits) and float(hits[0].score) >= kb.threshold,
        ))
    return sorted(gaps, key=lambda g: (g.answered_now, -g.asked, g.question))
