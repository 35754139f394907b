"""Rule extractors: order numbers in the shop's format, emails, amounts, dates, and how they merge."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.extractors import RuleExtractor, merge_entities
from bot.nlu.types import Entity
from common.errors import InvalidInput

TODAY = date(2026, 1, 10)


def found(text: str, **kw: object) -> list[tuple[str, str, str | None]]:
    return [(e.entity, e.value, e.normalised) for e in RuleExtractor(**kw).extract(text, TODAY)]  # type: ignore[arg-type]


def test_order_ids_in_the_shop_format_only() -> None:
    assert found("where is 1004829371?") == [("order_id", "1004829371", None)]
    assert found("order 10048293710 or 2004829371 or #1004829371") == []
    assert found("order A-77", order_pattern=r"A-\d+") == [("order_id", "A-77", None)]


def test_bad_order_pattern_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="not a valid regex"):
        RuleExtractor(order_pattern="(")


def test_emails_are_lowercased_in_normalised() -> None:
    assert found("write to Jo.Doe+x@Example.co.uk.") == [("email", "Jo.Doe+x@Example.co.uk", "jo.doe+x@example.co.uk")]


@pytest.mark.parametrize("text, value, normalised", [
    ("refund €12,50 please", "12,50", "12.50 EUR"),
    ("I paid 1.299,50 EUR", "1.299,50", "1299.50 EUR"),
    ("it cost 50 euros", "50", "50 EUR"),
    ("reimburse $1,500", "1,500", "1500 USD"),
    ("refunding$299", "299", "299 USD"),
    ("£7.5 back", "7.5", "7.50 GBP"),
    ("CHF 30 fee", "30", "30 CHF"),
])
def test_amounts_span_the_number_and_normalise_currency(text: str, value: str, normalised: str) -> None:
    assert found(text) == [("amount", value, normalised)]


@pytest.mark.parametrize("text, value, iso", [
    ("bought on 2025-12-05", "2025-12-05", "2025-12-05"),
    ("bought on 12 March", "12 March", "2025-03-12"),  # a future date without a year means last year
    ("on March 3rd, 2024", "March 3rd, 2024", "2024-03-03"),
    ("on 3/4/2024", "3/4/2024", "2024-04-03"),  # European day/month
    ("ordered yesterday", "yesterday", "2026-01-09"),
    ("two weeks ago", "two weeks ago", "2025-12-27"),
    ("by 5 January", "5 January", "2026-01-05"),
])
def test_dates_are_normalised_to_iso(text: str, value: str, iso: str) -> None:
    assert found(text) == [("date", value, iso)]


def test_impossible_dates_are_ignored() -> None:
    assert found("on 31 February") == []


def test_rule_types_can_be_limited() -> None:
    assert found("pay 1004829371 50 euros today", types=["amount"]) == [("amount", "50", "50 EUR")]


def test_rules_win_over_overlapping_learned_spans() -> None:
    rules = [Entity(6, 16, "order_id", "1004829371", source="rule")]
    learned = [Entity(0, 16, "product", "order 1004829371"), Entity(21, 26, "product", "boots")]
    merged = merge_entities(rules, learned)
    assert [(e.entity, e.source) for e in merged] == [("order_id", "rule"), ("product", "model")]


def test_contextual_rule_spans_need_the_taggers_agreement():
    from bot.nlu.extractors import merge_entities
    from bot.nlu.types import Entity

    rules = [Entity(10, 14, "amount", "€299", source="rule"), Entity(20, 30, "order_id", "1004829371", source="rule")]
    learned = [Entity(11, 14, "amount", "299")]
    merged = merge_entities(rules, learned, frozenset({"amount"}))
    assert [(e.entity, e.source) for e in merged] == [("amount", "rule"), ("order_id", "rule")]
    assert [(e.entity, e.source) for e in merge_entities(rules, [], frozenset({"amount"}))] == [("order_id", "rule")]
    assert len(merge_entities(rules, [], frozenset())) == 2
