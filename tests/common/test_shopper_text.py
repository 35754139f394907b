"""Shopper text at the edge: validated, normalised, bounded, secrets masked, in linear time."""

from __future__ import annotations

import time
import unicodedata

import pytest

from common.errors import InvalidInput
from common.shopper_text import check_plain, clean, mask_secrets


def test_clean_normalises_to_nfc_and_drops_controls_but_keeps_newlines_and_tabs() -> None:
    decomposed = "cafe\u0301"
    assert clean(f"  {decomposed}\x00\x07 ok\r\nnext\tcol  ", 100) == "café ok\nnext\tcol"
    assert unicodedata.is_normalized("NFC", clean(decomposed, 10))


def test_clean_removes_bidi_overrides_and_caps_combining_runs() -> None:
    assert clean("abc\u202edcba\u2066x\u2069", 100) == "abcdcbax"
    zalgo = clean("e" + "\u0301\u0300" * 5000 + "!", 20000)
    assert len(zalgo) == 1 + 30 + 1


def test_clean_keeps_emoji_zwj_sequences_and_rtl_scripts() -> None:
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert clean(f"{family} שלום مرحبا", 100) == f"{family} שלום مرحبا"


@pytest.mark.parametrize("text, message", [
    ("hi \ud800", "lone surrogate at character 4"),
    ("   \x00\x01 ", "must not be empty"),
    ("x" * 101, "longer than 100 characters"),
    ("x" * 1_000_000, "longer than 100 characters"),
])
def test_clean_rejects_with_a_message(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        clean(text, 100)


def test_check_plain_rejects_nul_and_surrogates() -> None:
    assert check_plain("ada@example.com", "email") == "ada@example.com"
    with pytest.raises(InvalidInput, match="email: must not contain NUL"):
        check_plain("ada\x00@example.com", "email")
    with pytest.raises(InvalidInput, match="id: not valid Unicode"):
        check_plain("\udfff", "id")


@pytest.mark.parametrize("text, masked", [
    ("my card is 4111 1111 1111 1111 exp 12/26", "my card is [card ending 1111] exp 12/26"),
    ("5555-5555-5555-4444", "[card ending 4444]"),
    ("4111111111111111 123", "[card ending 1111] 123"),  # the CVV after it is not part of the number
    ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN ending 3000] please"),
    ("gb82west12345698765432", "[IBAN ending 5432]"),
    ("NO9386011117947.", "[IBAN ending 7947]."),
])
def test_mask_secrets_masks_valid_cards_and_ibans(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked
    assert clean(text, 200) == masked


@pytest.mark.parametrize("text", [
    "where is order 1043715495", "4111111111111112 (fails Luhn)", "x4111111111111111", "4111111111111111x",
    "DE88 3704 0044 0532 0130 00 (bad check digits)", "call 0049 30 1234567 8", "postcode DE12345",
])
def test_mask_secrets_leaves_other_numbers(text: str) -> None:
    assert mask_secrets(text) == text


@pytest.mark.parametrize("hostile", [
    "a, AB" + " " * 1994 + "!", "4" * 200_000, "4111 " * 40_000, "DE89 " * 40_000, "1-" * 100_000,
    "a\u0301" * 100_000, "e" + "\u0301" * 100_000,
])
def test_clean_is_linear_on_the_worst_inputs_we_can_build(hostile: str) -> None:
    started = time.process_time()  # CPU time: a busy machine must not fail this, a quadratic scan must
    try:
        clean(hostile, 1_000_000)
    except InvalidInput:
        pass
    assert time.process_time() - started < 2.0  # generous: linear code takes ~0.1-0.4 s on 200k characters


def test_for_reading_folds_compatibility_forms_but_not_letters_of_a_language() -> None:
    from common.shopper_text import for_reading

    assert for_reading("ｗｈｅｒｅ　ｉｓ　ｍｙ　ｏｒｄｅｒ １２３") == "where is my order 123"
    assert for_reading("Ⓒancel ﬁnal order") == "Cancel final order"
    for kept in ("Straße 5, München", "où est ma commande ?", "注文はどこですか", "plain text"):
        assert for_reading(kept) == kept
    expanding = "\ufdfa" * 10  # each folds to 18 characters
    assert for_reading(expanding) == expanding
