"""Sub-word alignment: character spans <-> BIO tags through the fast tokenizer's offsets."""

from __future__ import annotations

from typing import Any

from bot.nlu.network import IGNORE, spans_to_tags, tag_names, tags_to_spans

NAMES = tag_names(["invoice_id", "product"])
INDEX = {t: i for i, t in enumerate(NAMES)}


def offsets_of(tokenizer: Any, text: str) -> list[tuple[int, int]]:
    return [tuple(o) for o in tokenizer(text, return_offsets_mapping=True)["offset_mapping"]]


def test_tag_names_are_stable() -> None:
    assert NAMES == ["O", "B-invoice_id", "I-invoice_id", "B-product", "I-product"]


def test_subword_tokens_of_one_entity_get_b_then_i(tokenizer: Any) -> None:
    text = "invoice #00108 for the cafetière"
    offsets = offsets_of(tokenizer, text)
    tags = spans_to_tags(offsets, [(8, 14, "invoice_id"), (23, 32, "product")], INDEX)
    named = [NAMES[t] if t != IGNORE else None for t in tags]
    assert named[0] is None and named[-1] is None  # [CLS], [SEP]
    inside = [(text[s:e], n) for (s, e), n in zip(offsets, named) if n and n != "O"]
    assert inside[0] == ("#", "B-invoice_id")
    assert all(n == "I-invoice_id" for _, n in inside[1:] if _ in "00108")
    assert [n for t, n in inside if n.endswith("product")][0] == "B-product"
    assert len([n for t, n in inside if n.endswith("product")]) >= 2  # "cafetière" is several word pieces


def test_round_trip_recovers_character_spans(tokenizer: Any) -> None:
    text = "invoice #00108 for the cafetière ☕ please"
    offsets = offsets_of(tokenizer, text)
    gold = [(8, 14, "invoice_id"), (23, 32, "product")]
    tags = spans_to_tags(offsets, gold, INDEX)
    ids = [0 if t == IGNORE else t for t in tags]
    spans = tags_to_spans(text, offsets, ids, [1.0] * len(ids), NAMES)
    assert [(s.start, s.end, s.entity) for s in spans] == gold


def test_partial_number_predictions_widen_to_the_whole_digit_run(tokenizer: Any) -> None:
    text = "invoice #1004829371 now"
    offsets = offsets_of(tokenizer, text)
    ids = [0] * len(offsets)
    piece = next(i for i, (s, e) in enumerate(offsets) if s > 10 and e <= 19)  # a piece inside the number
    ids[piece] = INDEX["B-invoice_id"]
    spans = tags_to_spans(text, offsets, ids, [0.9] * len(ids), NAMES)
    assert [(text[s.start:s.end], s.entity) for s in spans] == [("1004829371", "invoice_id")]


def test_glued_words_keep_the_tagged_pieces(tokenizer: Any) -> None:
    text = "cancel order1004829371"
    offsets = offsets_of(tokenizer, text)
    ids = [INDEX["B-product"] if s >= 12 and e > s else 0 for s, e in offsets]  # only the digits tagged
    spans = tags_to_spans(text, offsets, ids, [0.9] * len(ids), NAMES)
    assert [text[s.start:s.end] for s in spans] == ["1004829371"]


def test_a_lower_case_word_tagged_only_in_its_first_piece_is_taken_whole(tokenizer: Any) -> None:
    text = "can you recommend a shampoo?"
    offsets = offsets_of(tokenizer, text)
    ids = [INDEX["B-product"] if s == 20 else 0 for s, e in offsets]  # "sham" tagged, "##poo" not
    spans = tags_to_spans(text, offsets, ids, [0.9] * len(ids), NAMES)
    assert [text[s.start:s.end] for s in spans] == ["shampoo"]
    text = "upgrade myPremium account"  # a glued capital stays a boundary
    offsets = offsets_of(tokenizer, text)
    ids = [INDEX["B-product"] if s >= 10 and e > s and s < 17 else 0 for s, e in offsets]
    assert [text[s.start:s.end] for s in tags_to_spans(text, offsets, ids, [0.9] * len(ids), NAMES)] == ["Premium"]
