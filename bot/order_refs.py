"""Which order a shopper means: an id in the shop's own format, a date, a product or a position.

Everything here scans the text once, word by word (no regular expressions on shopper text), so a
hostile message costs linear time. "Meir 1, 2000 Antwerpen" holds no order id because neither 1
nor 2000 has the shape of the shop's order ids, which is learnt from the shop's data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from common.text import singular, split_words
from shop.backend import OrderView

MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
FIRST = frozenset("first oldest earliest".split())
LAST = frozenset("last latest newest recent most-recent".split())
SECOND = frozenset("second 2nd".split())
OTHER = frozenset("other another different".split())
# "the first one", "my second order" name a position; "where is it first?" does not
POSITION_BEFORE = frozenset("the my our your".split())
POSITION_AFTER = frozenset("one order orders purchase parcel package delivery".split())
PRONOUNS = frozenset("it this that".split())
# Nouns a position word qualifies when it does not mean an order: "the first time", "the last minute".
NOT_ORDERS = frozenset("time times day days week weeks month months minute minutes moment thing things try attempt wash use".split())
PARTS = {"early": (1, 10), "beginning": (1, 10), "start": (1, 10), "mid": (11, 20), "middle": (11, 20), "late": (21, 31),
         "end": (21, 31)}
FUNCTION_WORDS = frozenset("""a an the my me i it its this that one ones order orders from of in on at with and or to for was were
is are be been my mine please pls no not yes actually wait sorry i'd i'm want would like return cancel change track which
item items thing things product products bought ordered buy got some something
can could will shall should may might must do does did how what when where why who you your our we us have has had get
address delivery parcel package status""".split())  # "can I change the address?" names no watering can


def words(text: str) -> list[str]:
    """Lower-case words and numbers, split on anything else (linear, no backtracking)."""
    return [w for w in (t.strip("-'") for t in split_words(text.lower(), "-'")) if w]


def tokens(text: str) -> list[str]:
    """Whitespace/punctuation-separated tokens keeping inner letters, digits and '-' (ids like A-1001)."""
    return [t for t in (t.strip("-_") for t in split_words(text, "-_")) if t]


@dataclass(frozen=True)
class IdShape:
    """The shape of the shop's order ids: length range, character kinds and common prefix.

    Learnt from a sample of real ids (`learn`), or given as a regex setting (`pattern`, matched whole).
    """

    min_len: int
    max_len: int
    digits_only: bool
    prefix: str = ""
    pattern: str | None = None

    @classmethod
    def learn(cls, ids: Iterable[str]) -> IdShape | None:
        sample = [i for i in ids if i]
        if not sample:
            return None
        prefix = sample[0]
        for i in sample[1:]:
            while not i.startswith(prefix):
                prefix = prefix[:-1]
        lengths = [len(i) for i in sample]
        # at most half the id: the rest grows with the shop ("1044…" today is "1050…" next year)
        return cls(min(lengths), max(lengths), all(i.isdigit() for i in sample), prefix[: min(lengths) // 2])

    def matches(self, token: str) -> bool:
        if self.pattern is not None:
            return len(token) <= 64 and re.fullmatch(self.pattern, token) is not None
        if not (self.min_len <= len(token) <= self.max_len) or not token.startswith(self.prefix):
            return False
        if self.digits_only:
            return token.isdigit()
        return any(c.isdigit() for c in token) and all(c.isalnum() or c in "-_" for c in token)

    def find(self, text: str) -> list[str]:
        """Tokens of `text` that have the shape of an order id, in order, without repeats."""
        found: list[str] = []
        for t in tokens(text):
            t = t.lstrip("#")
            if self.matches(t) and t not in found:
                found.append(t)
        return found


ORDER_CUE = frozenset("order orders bestellung commande bestelling".split())
CUE_FILLER = frozenset("number no nr id is was reference ref".split())


def named_as_order(text: str) -> list[str]:
    """Tokens the shopper calls an order, whatever their shape: "order 2000000001", "my order number is 12345".

    Such a token that is not one of the shop's ids is still the order they mean: the answer is that
    it cannot be found, never another order in its place.
    """
    ts = tokens(text)
    found: list[str] = []
    for i, t in enumerate(ts):
        if t.lower() not in ORDER_CUE:
            continue
        j = i + 1
        while j < len(ts) and ts[j].lower() in CUE_FILLER:
            j += 1
        if j < len(ts) and any(c.isdigit() for c in ts[j]) and 3 <= len(ts[j]) <= 64 and ts[j] not in found:
            found.append(ts[j])
    return found


def month_window(text: str) -> tuple[int, int, int] | None:
    """(month, first day, last day) for "from early November", "in mid-Oct", "the November order"."""
    ws = words(text.replace("-", " "))
    for i, w in enumerate(ws):
        month = MONTHS.get(w.rstrip("."))
        if month is None or (w == "may" and not (i and ws[i - 1] in ("in", "from", "of", "early", "mid", "late"))):
            continue
        part = PARTS.get(ws[i - 1]) if i else None
        if part is None and i > 1 and ws[i - 1] == "of":
            part = PARTS.get(ws[i - 2])
        lo, hi = part or (1, 31)
        return month, lo, hi
    return None


def product_words(text: str) -> set[str]:
    return {singular(w) for w in words(text) if len(w) > 2 and w not in FUNCTION_WORDS and not w.isdigit()}


def lines_named(order: OrderView, text: str) -> list[int]:
    """Indexes of the order's lines whose product name shares a content word with `text`."""
    wanted = product_words(text)
    if not wanted:
        return []
    return [i for i, line in enumerate(order.lines) if wanted & {singular(w) for w in words(f"{line.product_name}")}]


def resolve(text: str, orders: list[OrderView], shape: IdShape | None, current: str | None = None,
            dates: list[str] | None = None) -> list[OrderView]:
    """The orders (newest first, as given) that `text` points at; [] when it names none.

    Checks, in order: an id of the shop's shape; "the other one" (relative to `current`); a position
    ("my last order", "the first one"); a date (an ISO date from the NLU, or a month with early/mid/late);
    product words matching the order's lines ("the pan", "the blue one").
    """
    by_id = {o.id: o for o in orders}
    ids = shape.find(text) if shape else []
    if ids:
        return [by_id[i] for i in ids if i in by_id]
    ws = set(words(text))
    if ws & OTHER and current is not None:
        others = [o for o in orders if o.id != current]
        if others:
            return others
    if ws & LAST and "order" in " ".join(words(text)) or ws & {"latest", "newest", "recent"}:
        return orders[:1]
    seq = words(text)
    if _position(seq, FIRST) and orders:
        return orders[-1:]
    if _position(seq, SECOND) and len(orders) > 1:
        return orders[1:2]
    if ws & PRONOUNS and current is not None and current in by_id:  # "what's the status of it?"
        return [by_id[current]]
    for iso in dates or []:
        day = [o for o in orders if o.placed_at.date().isoformat() == iso]
        if day:
            return day
    window = month_window(text)
    if window:
        month, lo, hi = window
        return [o for o in orders if o.placed_at.month == month and lo <= o.placed_at.day <= hi]
    named = [o for o in orders if lines_named(o, text)]
    return named


def _position(seq: list[str], names: frozenset[str]) -> bool:
    """A position word that qualifies an order: after "the"/"my" or before "one"/"order" — never one that
    qualifies something else ("it snapped the first time I used it")."""
    return any(w in names and ((i > 0 and seq[i - 1] in POSITION_BEFORE)
                               or (i + 1 < len(seq) and seq[i + 1] in POSITION_AFTER))
               and not (i + 1 < len(seq) and seq[i + 1] in NOT_ORDERS)
               for i, w in enumerate(seq))


def placed_day(value: datetime) -> str:
    return value.strftime("%d %B").lstrip("0")
