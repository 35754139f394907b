"""A small keyword rule set: the parser used until a fine-tuned NLU model has been trained.

It knows a handful of intents so the end-to-end path works on a fresh install; the trained
model (`bot/nlu/`) replaces it as soon as `keepcart nlu train` or `keepcart demo` has run.
"""

from __future__ import annotations

import re

from bot.nlu.types import OUT_OF_SCOPE, Entity, Parse

ORDER_ID = re.compile(r"(?<![\d#])\d{6,15}(?!\d)")
RULES: list[tuple[str, re.Pattern[str]]] = [
    ("track_order", re.compile(r"\b(where('?s| is)|track|status|arriv|deliver(ed|y) date)\b.*\border|\border\b.*\b(where|status|arriv|track)", re.I)),
    ("cancel_order", re.compile(r"\bcancel", re.I)),
    ("return_order", re.compile(r"\b(return|send (it|them) back)\b", re.I)),
    ("get_refund", re.compile(r"\b(refund|money back|reimburs)", re.I)),
    ("change_shipping_address", re.compile(r"\b(change|update|wrong)\b.*\baddress", re.I)),
    ("contact_human_agent", re.compile(r"\b(human|person|agent|someone real|representative)\b", re.I)),
    ("greet", re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|moin|hallo)\b", re.I)),
    ("thanks", re.compile(r"\b(thanks|thank you|cheers)\b", re.I)),
    ("goodbye", re.compile(r"\b(bye|goodbye|see you)\b", re.I)),
    ("affirm", re.compile(r"^\s*(yes|yeah|yep|sure|ok(ay)?|please do|correct)\b", re.I)),
    ("deny", re.compile(r"^\s*(no|nope|don'?t|not now|never mind)\b", re.I)),
]


class KeywordParser:
    """Implements the `Parser` port with regular expressions; confidence is 1 or 0."""

    model_id = "keyword-rules-v1"

    def parse(self, text: str) -> Parse:
        entities = [Entity(m.start(), m.end(), "order_id", m.group(), source="rule") for m in ORDER_ID.finditer(text)]
        for intent, pattern in RULES:
            if pattern.search(text):
                return Parse(text, intent, 1.0, [(intent, 1.0)], entities, self.model_id)
        if entities:
            return Parse(text, "track_order", 0.6, [("track_order", 0.6)], entities, self.model_id)
        return Parse(text, OUT_OF_SCOPE, 0.0, [], entities, self.model_id)
