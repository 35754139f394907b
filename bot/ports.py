"""The small Protocols through which the dialogue reaches everything outside it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.nlu.types import Parse
from shop.backend import ShopBackend

__all__ = ["Parser", "KnowledgeAnswer", "KnowledgeSource", "OfferCard", "RetentionAdvisor", "ShopBackend"]


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

    def answer(self, query: str, lenient: bool = False) -> KnowledgeAnswer | None: ...


class OfferCard(Protocol):
    """A retention offer the agent decided to show (a coupon, free shipping or recommendations)."""

    text: str
    kind: str
    code: str | None
    rule_id: int
    variant: str | None
    exposure_id: int
    product_ids: list[str]


class RetentionAdvisor(Protocol):
    """Decides, per churn signal, whether an offer is worth making; records every exposure,
    hold-outs included, so the lift can be measured. None means: say nothing."""

    def offer_for(self, customer_id: str, trigger: str, conversation_id: str | None, now: datetime | None = None) -> OfferCard | None: ...

    def mark_shown(self, exposure_id: int, now: datetime | None = None) -> None: ...
