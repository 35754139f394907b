"""Training-data formats: every error names the file and line; the shipped data is valid and rich enough."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bot.nlu.recipes import default_training_files
from bot.nlu.training_data import Span, load_examples, parse_inline, write_jsonl
from common.errors import DataFileErrors

REQUIRED_INTENTS = {
    "cancel_order", "change_order", "change_shipping_address", "check_cancellation_fee", "check_invoice",
    "check_payment_methods", "check_refund_policy", "complaint", "contact_customer_service", "contact_human_agent",
    "create_account", "delete_account", "delivery_options", "delivery_period", "edit_account", "get_invoice",
    "get_refund", "newsletter_subscription", "payment_issue", "place_order", "recover_password",
    "registration_problems", "review", "set_up_shipping_address", "switch_account", "track_order", "track_refund",
    "greet", "goodbye", "thanks", "affirm", "deny", "return_order", "product_search", "out_of_scope",
    "parcel_missing", "item_damaged", "leave_shop", "recommend_me", "bot_challenge", "use_voucher",
}
REQUIRED_ENTITIES = {"order_id", "invoice_id", "product", "email", "amount", "city", "country", "person_name", "date", "account_type"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(*paths: Path) -> list[str]:
    with pytest.raises(DataFileErrors) as info:
        load_examples(list(paths))
    return [str(e) for e in info.value.errors]


def test_inline_spans_become_offsets() -> None:
    text, spans = parse_inline("where is [1004829371](order_id) and [my boots](product)?")
    assert text == "where is 1004829371 and my boots?"
    assert spans == [Span(9, 19, "order_id"), Span(24, 32, "product")]
    assert text[9:19] == "1004829371"


def test_yaml_loads_examples_with_sources(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yml", 'version: 1\nentities: [order_id]\nintents:\n  track_order:\n    - "where is [00042](order_id)"\n    - hi there\n')
    examples = load_examples([path])
    assert [e.text for e in examples] == ["where is 00042", "hi there"]
    assert examples[0].entities == (Span(9, 14, "order_id"),)
    assert examples[0].source == f"{path}:5"


def test_yaml_errors_name_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yml", "\n".join([
        "version: 1",
        "entities: [order_id]",
        "intents:",
        "  track_order:",
        '    - "where is [123](order)"',      # line 5: unknown entity
        '    - "   "',                          # line 6: empty text
        '    - "fine"',
        '  "":',                                # line 8: empty intent
        '    - "something"',
        "",
    ]))
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:5:") and "unknown entity 'order'" in e for e in errors)
    assert any(e.startswith(f"{path}:6:") and "empty text" in e for e in errors)
    assert any(e.startswith(f"{path}:8:") and "empty intent" in e for e in errors)


def test_yaml_syntax_error_and_missing_version(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.yml", "version: 1\nintents:\n  a: [unclosed\n")
    assert any(e.startswith(f"{broken}:") and "not valid YAML" in e for e in errors_of(broken))
    noversion = write(tmp_path, "nov.yml", "intents:\n  a:\n    - hello\n")
    assert any("version" in e for e in errors_of(noversion))


def test_jsonl_span_errors(tmp_path: Path) -> None:
    rows = [
        {"text": "order 123", "intent": "track_order", "entities": [{"start": 6, "end": 12, "entity": "order_id"}]},
        {"text": "order 123 now", "intent": "track_order",
         "entities": [{"start": 0, "end": 9, "entity": "a"}, {"start": 6, "end": 13, "entity": "b"}]},
        {"text": "ok", "intent": "   "},
    ]
    path = write(tmp_path, "d.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    errors = errors_of(path)
    assert any(e.startswith(f"{path}:1:") and "outside the text" in e for e in errors)
    assert any(e.startswith(f"{path}:2:") and "overlapping spans" in e for e in errors)
    assert any(e.startswith(f"{path}:3:") and "empty intent" in e for e in errors)
    assert any(e.startswith(f"{path}:4:") and "not valid JSON" in e for e in errors)


def test_csv_format_and_errors(tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", 'text,intent\n"hello, there",greet\nbye,goodbye\n')
    assert [(e.text, e.intent) for e in load_examples([good])] == [("hello, there", "greet"), ("bye", "goodbye")]
    missing = write(tmp_path, "missing.csv", "utterance,label\nhi,greet\n")
    assert any(e.startswith(f"{missing}:1:") and "missing column" in e for e in errors_of(missing))
    empty = write(tmp_path, "empty.csv", "text,intent\nhi,greet\nyo,\n")
    assert any(e.startswith(f"{empty}:3:") and "empty intent" in e for e in errors_of(empty))


def test_duplicate_text_with_two_intents_names_both_places(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "text,intent\nwhere is my order,track_order\n")
    b = write(tmp_path, "b.csv", "text,intent\nhello,greet\nWhere is  my order,cancel_order\n")
    errors = errors_of(a, b)
    assert len(errors) == 1
    assert errors[0].startswith(f"{b}:3:") and f"{a}:2" in errors[0] and "track_order" in errors[0]


def test_same_text_same_intent_is_kept_once(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "text,intent\nhi,greet\nhi,greet\n")
    assert len(load_examples([a])) == 1


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    txt = write(tmp_path, "x.txt", "hello")
    errors = errors_of(txt, tmp_path / "nope.csv")
    assert any("unknown file type" in e for e in errors) and any("no such file" in e for e in errors)


def test_jsonl_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, "d.yml", 'version: 1\nentities: [email]\nintents:\n  a:\n    - "mail [x@y.eu](email) ✓"\n  b:\n    - "bye"\n')
    examples = load_examples([path])
    write_jsonl(examples, tmp_path / "out.jsonl")
    again = load_examples([tmp_path / "out.jsonl"])
    assert [(e.text, e.intent, e.entities) for e in again] == [(e.text, e.intent, e.entities) for e in examples]


def test_shipped_data_is_valid_and_complete() -> None:
    files = default_training_files()
    assert files, "bot/nlu/data/*.yml is missing"
    examples = load_examples(files)
    counts = Counter(e.intent for e in examples)
    assert set(counts) == REQUIRED_INTENTS
    assert min(counts.values()) >= 25, {k: v for k, v in counts.items() if v < 25}
    assert {s.entity for e in examples for s in e.entities} == REQUIRED_ENTITIES
    for e in examples:  # spans never start or end inside a word or on whitespace
        for s in e.entities:
            value = e.text[s.start:s.end]
            assert value == value.strip(), e.source
            assert s.start == 0 or not (e.text[s.start - 1].isalnum() and value[0].isalnum()), e.source
            assert s.end == len(e.text) or not (e.text[s.end].isalnum() and value[-1].isalnum()), e.source
