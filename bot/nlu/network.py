"""The joint network: one Transformer pass feeds an intent head and a BIO tagging head.

Also the sub-word alignment both ways: gold character spans -> BIO tag ids per token (training),
predicted tag ids -> character spans (inference), through the fast tokenizer's offset mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from transformers import PreTrainedModel

OUTSIDE = "O"
IGNORE = -100


class JointNetwork(nn.Module):
    """Encoder + mean-pooled intent classifier + per-token BIO classifier."""

    def __init__(self, encoder: PreTrainedModel, hidden_size: int, n_intents: int, n_tags: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.intent_head = nn.Linear(hidden_size, n_intents)
        self.tag_head = nn.Linear(hidden_size, n_tags)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.intent_head(self.dropout(pooled)), self.tag_head(self.dropout(hidden))


def tag_names(entity_types: list[str]) -> list[str]:
    """["O", "B-amount", "I-amount", ...] in a fixed order."""
    return [OUTSIDE] + [f"{p}-{e}" for e in sorted(entity_types) for p in ("B", "I")]


def spans_to_tags(offsets: list[tuple[int, int]], spans: list[tuple[int, int, str]], tag_index: dict[str, int]) -> list[int]:
    """BIO tag id for every token: B on the first token inside a span, I on the rest, -100 on specials."""
    tags: list[int] = []
    started: set[int] = set()
    for start, end in offsets:
        if start == end:
            tags.append(IGNORE)
            continue
        tag = OUTSIDE
        for i, (s, e, entity) in enumerate(spans):
            if start < e and end > s:
                tag = f"{'I' if i in started else 'B'}-{entity}"
                started.add(i)
                break
        tags.append(tag_index.get(tag, tag_index[OUTSIDE]))
    return tags


@dataclass(frozen=True)
class TokenSpan:
    start: int
    end: int
    entity: str
    score: float


def tags_to_spans(text: str, offsets: list[tuple[int, int]], tag_ids: list[int], scores: list[float],
                  names: list[str]) -> list[TokenSpan]:
    """Group B/I tokens into character spans; a span never ends inside a run of digits."""
    spans: list[TokenSpan] = []
    cur: list[Any] = []  # [start, end, entity, [scores]]

    def close() -> None:
        if cur:
            s, e = _widen(text, cur[0], cur[1])
            spans.append(TokenSpan(s, e, cur[2], sum(cur[3]) / len(cur[3])))
            cur.clear()

    for (start, end), tag_id, score in zip(offsets, tag_ids, scores):
        if start == end:
            continue
        name = names[tag_id]
        if name == OUTSIDE:
            close()
            continue
        prefix, entity = name.split("-", 1)
        joins_word = cur and start == cur[1]
        if cur and entity == cur[2] and (prefix == "I" or joins_word):
            cur[1] = end
            cur[3].append(score)
        else:
            close()
            cur.extend([start, end, entity, [score]])
    close()
    merged: list[TokenSpan] = []
    for span in spans:  # widening can make neighbours overlap: keep the first
        if merged and span.start < merged[-1].end:
            continue
        merged.append(span)
    return merged


def _widen(text: str, start: int, end: int) -> tuple[int, int]:
    """Extend a span over the rest of a digit run ("10048|29371" -> the whole number) and of a
    lower-case word ("sham|poo": the tagger marked only the first piece of "shampoo").

    Other letter boundaries are left alone: shoppers glue words ("order1004829371", "myPremium
    account") and the tagger's piece boundaries are then better than the word's.
    """
    def joined(a: str, b: str) -> bool:
        return a.isdigit() and b.isdigit() or a.isalpha() and a.islower() and b.isalpha() and b.islower()

    while start > 0 and joined(text[start - 1], text[start]):
        start -= 1
    while end < len(text) and joined(text[end - 1], text[end]):
        end += 1
    return start, end
