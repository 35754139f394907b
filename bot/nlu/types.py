"""What the NLU hands the dialogue: plain values, no torch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OUT_OF_SCOPE = "out_of_scope"
# Names data sets give the out-of-scope class (CLINC150 says "oos"): all mean "none of the intents".
OUT_OF_SCOPE_ALIASES = frozenset({OUT_OF_SCOPE, "oos", "out-of-scope", "outofscope", "ood", "out_of_domain"})


def is_out_of_scope(label: str) -> bool:
    return label.strip().lower() in OUT_OF_SCOPE_ALIASES


def out_of_scope_label(intents: list[str]) -> str:
    """The label a model trained on `intents` answers when nothing fits: the data's own name for it."""
    return next((i for i in intents if is_out_of_scope(i)), OUT_OF_SCOPE)


@dataclass(frozen=True)
class Entity:
    """A span of the message: `text[start:end] == value` unless `normalised` says otherwise."""

    start: int
    end: int
    entity: str
    value: str
    source: str = "model"  # "model" or "rule"
    normalised: str | None = None
    confidence: float | None = None  # the tagger's mean token probability; None for rule entities

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Parse:
    """The NLU's reading of one message.

    `intent` is already `out_of_scope` when the confidence fell under the calibrated threshold;
    `ranking` keeps the raw top intents so staff can see what the model hesitated between.
    """

    text: str
    intent: str
    confidence: float
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    model_id: str = ""
    repaired: str | None = None  # the text as the model read it, when typo repair changed it

    def entity_values(self, name: str) -> list[str]:
        return [e.normalised or e.value for e in self.entities if e.entity == name]

    def first(self, name: str) -> str | None:
        values = self.entity_values(name)
        return values[0] if values else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "ranking": [[name, round(score, 4)] for name, score in self.ranking],
            "entities": [e.to_dict() for e in self.entities],
            "model_id": self.model_id,
            **({"repaired": self.repaired} if self.repaired else {}),
        }
