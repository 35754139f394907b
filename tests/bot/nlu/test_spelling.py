"""Typo repair: which words it replaces, which it never touches, and spans mapped back."""

from __future__ import annotations

import pytest

from bot.nlu.spelling import SpellingRepair, count_words, words

TRAINING = ["cancel my order", "cancel it", "cancel now", "cancel order 123", "cancel the order please", "I want a refund",
            "where is my refund", "refund it", "refunds take days", "refnd", "refund please", "refund now", "hello there", "help me", "help", "cancle order 77",
            "my parcel hasn't arrived", "what is the status", "where's my order"]
ENGLISH = ["cancel", "order", "hello", "help", "where", "what", "the", "is", "my", "berlin", "please", "status", "done"]


@pytest.fixture
def speller() -> SpellingRepair:
    return SpellingRepair(dict(count_words(TRAINING)), ENGLISH)


@pytest.mark.parametrize(("typo", "fixed"), [
    ("cancle", "cancel"),     # swapped letters, although "cancle" is in the training data once
    ("ordr", "order"),        # a missing letter
    ("cancell", "cancel"),    # a doubled one
    ("refnd", "refund"),
    ("refnds", "refunds"),  # the stem "refnd" is a training typo, so the s does not shield it
    ("helo", "hello"),        # an insertion wins over the more frequent substitution ("help")
    ("staus", "status"),
    ("ORDR", "order"),
])
def test_one_edit_from_a_training_word_is_repaired(speller: SpellingRepair, typo: str, fixed: str) -> None:
    assert speller.suggest(typo) == fixed


@pytest.mark.parametrize("word", [
    "berlin",   # the encoder knows it whole
    "refund",   # a training word does not yield to a rarer neighbour
    "wheres",   # a trailing s is grammar ("where's"), not a typo
    "whats",
    "hasnt",    # "hasn't" is one word, so there is no "hasn" to land on
    "dont",     # a wrong letter in a four-letter word is too often a real word ("done")
    "ord",      # too short
    "1234",
    "bestellung",  # nothing one edit away
])
def test_words_that_are_left_alone(speller: SpellingRepair, word: str) -> None:
    assert speller.suggest(word) is None


def test_repair_maps_spans_back_to_the_shoppers_text(speller: SpellingRepair) -> None:
    text = "pls cancle my ordr 1044479468 to Berlin"
    repair = speller.repair(text)
    assert repair.text == "pls cancel my order 1044479468 to Berlin"
    for word in ("1044479468", "Berlin", "pls"):
        start = repair.text.index(word)
        assert repair.to_original(start, start + len(word)) == (text.index(word), text.index(word) + len(word))
    start = repair.text.index("order")
    assert text[slice(*repair.to_original(start, start + 5))] == "ordr"


def test_a_text_without_typos_is_returned_as_is(speller: SpellingRepair) -> None:
    repair = speller.repair("cancel my order 12, thanks!")
    assert repair.text == "cancel my order 12, thanks!" and repair.replaced == ()


def test_words_scan_keeps_inner_apostrophes_only() -> None:
    text = "hasn't it, don’t 'x' 42abc"
    assert [text[s:e] for s, e in words(text)] == ["hasn't", "it", "don’t", "x", "abc"]


def test_hostile_input_stays_linear(speller: SpellingRepair) -> None:
    text = ("a" * 50 + " ") * 2000 + "x" * 100_000
    assert speller.repair(text).text == text
