"""Offer rules from a JSON file (one rule, a list, or {"rules": [...]}) with errors naming file and field."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from common.errors import DataFileError, DataFileErrors
from retention_model.offers.rules import OfferRule, OfferRuleSpec


def load_rule_file(path: Path) -> list[OfferRuleSpec]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFileError(str(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    if isinstance(data, dict) and "rules" in data:
        data = data["rules"]
    items = data if isinstance(data, list) else [data]
    specs, errors = [], []
    for i, item in enumerate(items):
        try:
            specs.append(OfferRuleSpec.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                prefix = f"rule {i + 1}" + (f" ({item.get('name')})" if isinstance(item, dict) and item.get("name") else "")
                message = err["msg"].removeprefix("Value error, ")
                errors.append(DataFileError(str(path), None, f"{prefix}: {where + ': ' if where else ''}{message}"))
    if errors:
        raise DataFileErrors(errors)
    if not specs:
        raise DataFileError(str(path), None, "no rules in the file")
    return specs


def as_rules(specs: list[OfferRuleSpec]) -> list[OfferRule]:
    """Number file rules 1..n so they can run through `advise` without being stored."""
    return [OfferRule(**s.model_dump(), id=i + 1) for i, s in enumerate(specs)]
