from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from retention_model.offers.rules import OfferRuleSpec, offer_cost, variant_terms


def spec(**kw):
    base = {"name": "Save", "kind": "percent", "value": "10", "triggers": ["cancel_order"]}
    base.update(kw)
    return OfferRuleSpec.model_validate(base)


def locs(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def test_defaults_are_what_a_marketer_expects():
    r = spec()
    assert r.holdout_share == 0.10 and r.active is False and r.validity_days == 14
    assert r.eligibility.no_handoff_days == 30
    assert r.response_rate() == 0.15


@pytest.mark.parametrize("bad, field", [
    ({"kind": "bogus"}, "kind"),
    ({"value": "-1"}, "value"),
    ({"triggers": []}, "triggers"),
    ({"triggers": ["cancel_ordr"]}, "triggers"),
    ({"holdout_share": 0.95}, "holdout_share"),
    ({"eligibility": {"countries": ["Germany"]}}, "eligibility.countries"),
    ({"eligibility": {"risk_bands": ["extreme"]}}, "eligibility.risk_bands.0"),
    ({"budget_count": 0}, "budget_count"),
    ({"surprise": 1}, "surprise"),
    ({"starts_at": "2026-12-01T00:00:00"}, "starts_at"),
])
def test_errors_name_the_field(bad, field):
    with pytest.raises(ValidationError) as exc:
        spec(**bad)
    assert field in locs(exc.value)


@pytest.mark.parametrize("bad, message", [
    ({"value": "120"}, "between 0 and 100"),
    ({"kind": "fixed", "value": "0"}, "above 0"),
    ({"starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}, "after starts_at"),
    ({"variants": [{"name": "a"}, {"name": "a"}]}, "unique"),
    ({"eligibility": {"min_tenure_days": 10, "max_tenure_days": 5}}, "min_tenure_days"),
])
def test_cross_field_rules(bad, message):
    with pytest.raises(ValidationError, match=message):
        spec(**bad)


def test_variant_overrides_kind_and_value():
    r = spec(variants=[{"name": "pct", "weight": 1}, {"name": "eur5", "weight": 1, "kind": "fixed", "value": "5"}])
    assert variant_terms(r, "pct") == ("percent", Decimal("10"))
    assert variant_terms(r, "eur5") == ("fixed", Decimal("5"))
    assert variant_terms(r, None) == ("percent", Decimal("10"))


def test_countries_are_upper_cased_and_triggers_deduplicated():
    r = spec(eligibility={"countries": ["de", "fr"]}, triggers=["get_refund", "cancel_order", "get_refund"])
    assert r.eligibility.countries == ["DE", "FR"]
    assert r.triggers == ["cancel_order", "get_refund"]


def test_offer_cost():
    assert offer_cost("percent", Decimal("10"), Decimal("80")) == Decimal("8.00")
    assert offer_cost("percent", Decimal("50"), Decimal("80"), max_discount=Decimal("25")) == Decimal("25.00")
    assert offer_cost("fixed", Decimal("5"), Decimal("80")) == Decimal("5.00")
    assert offer_cost("fixed", Decimal("5"), Decimal("3")) == Decimal("3.00")
    assert offer_cost("free_shipping", Decimal("4.90"), Decimal("80")) == Decimal("4.90")
    assert offer_cost("recommendations", Decimal("0"), Decimal("80")) == Decimal("0.00")
