"""The small Protocols through which the dialogue reaches everything outside it."""

from __future__ import annotations

from typing import Protocol

from bot.nlu.types import Parse
from shop.backend import ShopBackend

__all__ = ["Parser", "KnowledgeAnswer", "KnowledgeSource", "ShopBackend"]


class Parser(Protocol):
    """Intent and entities of one message (the fine-tuned NLU, or the rule set when none is trained)."""

    @property
    def model_id(self) -> str: ...

    def parse(self, text: str) -> Parse: ...


class KnowledgeAnswer(Protocol):
    text: str
    title: str
    url: str
    doc_id: str
    score: float


class KnowledgeSource(Protocol):
    """Grounded help-centre answers; `answer` returns None when nothing is reliable enough."""

    @property
    def index_id(self) -> str: ...

    def answer(self, query: str) -> KnowledgeAnswer | None: ...
