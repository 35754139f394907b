"""Rule-based entities for structured values a network should not have to guess.

Order numbers in the shop's own format, emails, money amounts and dates follow patterns; regexes
find them exactly and normalise them (ISO dates, "12.50 EUR"). They win over learned spans that
overlap them, see `merge_entities`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.nlu.types import Entity
from common.errors import InvalidInput

DEFAULT_ORDER_PATTERN = r"(?<![\d#])10\d{8}(?!\d)"
RULE_TYPES = ("order_id", "email", "amount", "date")
# Types whose meaning depends on context; the others (shop-format order ids, emails) are unambiguous.
CONTEXTUAL_TYPES = frozenset({"amount", "date"})

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?<!\.)", re.UNICODE)
_NUMBER = r"\d{1,3}(?:[,.]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_WORDS = {"eur": "EUR", "euro": "EUR", "euros": "EUR", "usd": "USD", "dollar": "USD", "dollars": "USD",
          "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "chf": "CHF", "francs": "CHF", "nok": "NOK", "kr": "NOK"}
AMOUNT_BEFORE = re.compile(rf"(?P<cur>[€$£]|\b(?:EUR|USD|GBP|CHF|NOK)\b)\s?(?P<num>{_NUMBER})(?![\d])", re.IGNORECASE)
AMOUNT_AFTER = re.compile(rf"(?<![\w.,])(?P<num>{_NUMBER})\s?(?P<cur>[€$£]|(?:eur|euros?|usd|dollars?|gbp|pounds?|chf|francs|nok|kr)\b)",
                          re.IGNORECASE)

MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"])}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
DATE_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")
DATE_NUMERIC = re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b")
DATE_DAY_MONTH = re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<mon>{_MONTH})(?:\s*,?\s*(?P<y>\d{{4}})(?![-/\d]))?(?![\w])", re.IGNORECASE)
DATE_MONTH_DAY = re.compile(rf"\b(?P<mon>{_MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,?\s*(?P<y>\d{{4}})(?![-/\d]))?\b", re.IGNORECASE)
RELATIVE = {"today": 0, "yesterday": -1, "tomorrow": 1, "day before yesterday": -2, "day after tomorrow": 2}
DATE_RELATIVE = re.compile(r"\b(?:the\s+)?(day before yesterday|day after tomorrow|today|yesterday|tomorrow)\b", re.IGNORECASE)
DATE_AGO = re.compile(r"\b(?P<n>\d{1,2}|a|one|two|three|four|five|six|seven)\s+(?P<unit>days?|weeks?)\s+ago\b", re.IGNORECASE)
_SMALL = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}


def _amount_value(num: str) -> str:
    """"1.299,50" / "1,299.50" / "12,5" / "1,500" -> "1299.50" / "1299.50" / "12.50" / "1500"."""
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", num):
        return re.sub(r"[,.]", "", num)
    m = re.fullmatch(r"(.*?)[,.](\d{1,2})", num)
    if m:
        return f"{re.sub(r'[,.]', '', m.group(1))}.{m.group(2).ljust(2, '0')}"
    return num


def _safe_date(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


class RuleExtractor:
    """Regex extractors; `order_pattern` is the shop's order-number format (a regex)."""

    def __init__(self, order_pattern: str = DEFAULT_ORDER_PATTERN, types: tuple[str, ...] | list[str] = RULE_TYPES) -> None:
        self.order_pattern, self.types = order_pattern, tuple(types)
        try:
            self._order = re.compile(order_pattern)
        except re.error as exc:
            raise InvalidInput(f"order id pattern {order_pattern!r} is not a valid regex: {exc}") from None

    def extract(self, text: str, today: date | None = None) -> list[Entity]:
        """All rule entities in `text`, non-overlapping, in text order."""
        today = today or date.today()
        found: list[Entity] = []
        for m in self._order.finditer(text) if "order_id" in self.types else ():
            found.append(Entity(m.start(), m.end(), "order_id", m.group(0), source="rule"))
        for m in EMAIL.finditer(text) if "email" in self.types else ():
            found.append(Entity(m.start(), m.end(), "email", m.group(0), source="rule", normalised=m.group(0).lower()))
        for pattern in (AMOUNT_BEFORE, AMOUNT_AFTER) if "amount" in self.types else ():
            for m in pattern.finditer(text):
                cur = m.group("cur")
                code = _SYMBOLS.get(cur) or _WORDS.get(cur.lower()) or cur.upper()
                found.append(Entity(m.start("num"), m.end("num"), "amount", m.group("num"), source="rule",
                                    normalised=f"{_amount_value(m.group('num'))} {code}"))
        if "date" in self.types:
            found.extend(self._dates(text, today))
        return _non_overlapping(found)

    @staticmethod
    def _dates(text: str, today: date) -> list[Entity]:
        out: list[Entity] = []

        def add(m: re.Match[str], iso: str | None) -> None:
            if iso:
                out.append(Entity(m.start(), m.end(), "date", m.group(0), source="rule", normalised=iso))

        for m in DATE_ISO.finditer(text):
            add(m, _safe_date(int(m["y"]), int(m["m"]), int(m["d"])))
        for m in DATE_NUMERIC.finditer(text):  # European order: day/month/year
            y = int(m["y"]) + (2000 if len(m["y"]) == 2 else 0)
            add(m, _safe_date(y, int(m["m"]), int(m["d"])))
        for pattern in (DATE_DAY_MONTH, DATE_MONTH_DAY):
            for m in pattern.finditer(text):
                month = MONTHS[m["mon"].lower().rstrip(".")]
                year = int(m["y"]) if m["y"] else today.year
                iso = _safe_date(year, month, int(m["d"]))
                if iso and not m["y"] and iso > today.isoformat():  # "12 March" said in January: last year's
                    iso = _safe_date(year - 1, month, int(m["d"]))
                add(m, iso)
        for m in DATE_RELATIVE.finditer(text):
            add(m, (today + timedelta(days=RELATIVE[m.group(1).lower()])).isoformat())
        for m in DATE_AGO.finditer(text):
            n = int(m["n"]) if m["n"].isdigit() else _SMALL[m["n"].lower()]
            days = n * (7 if m["unit"].lower().startswith("week") else 1)
            add(m, (today - timedelta(days=days)).isoformat())
        return out


def _non_overlapping(entities: list[Entity]) -> list[Entity]:
    """Keep the longest of overlapping spans (earlier rules first on ties)."""
    kept: list[Entity] = []
    for ent in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if all(ent.end <= k.start or ent.start >= k.end for k in kept):
            kept.append(ent)
    return sorted(kept, key=lambda e: e.start)


def merge_entities(rules: list[Entity], learned: list[Entity], confirm: frozenset[str] = frozenset()) -> list[Entity]:
    """Rules win over any overlapping learned span; other learned spans are kept as they are.

    Types in `confirm` depend on context ("€20" is a refund amount in one message and a price in
    another): their rule spans are kept only where the tagger, trained on that type, saw the entity
    too; the rule then supplies the exact span and the normalised value.
    """
    kept = [r for r in rules if r.entity not in confirm
            or any(s.entity == r.entity and s.start < r.end and r.start < s.end for s in learned)]
    merged = list(kept)
    for ent in learned:
        if all(ent.end <= r.start or ent.start >= r.end for r in kept):
            merged.append(ent)
    return sorted(merged, key=lambda e: e.start)
