"""Language detection of shopper messages and the reply to a language the NLU does not speak."""

from __future__ import annotations

import pytest

from bot import language as lang
from bot.language import (
    HUMAN_PAYLOAD,
    LanguageDetector,
    LanguageGuess,
    decide,
    letters_of,
    unsupported_language_reply,
    without_places,
)
from common.errors import InvalidInput
from common.settings import Settings


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    # Six candidates keep the test fast; Spanish/Portuguese and German/Dutch stay in as look-alikes.
    return LanguageDetector(spoken=["en"], candidates=["en", "de", "fr", "nl", "es", "pt"])


@pytest.mark.parametrize(("text", "code"), [
    ("Hallo, wo ist meine Bestellung?", "de"),
    ("Bonjour, où est ma commande ?", "fr"),
    ("Waar blijft mijn pakket?", "nl"),
    ("¿Dónde está mi paquete?", "es"),
    ("Ich möchte meine Bestellung 1004829371 stornieren", "de"),
    ("where is my order 1004829371, it was due on monday", "en"),
])
def test_detects_the_language_of_shop_messages(detector, text, code):
    guess = detector.detect(text)
    assert guess.code == code
    assert 0 < guess.confidence <= 1


@pytest.mark.parametrize("text", ["ok", "yes", "thx", "C01029", "cancel", "refund pls", "where is my order 1004829371",
                                  "1004829371", "👍", "", "   ", "R-1029 ok", "anna@example.com", "promo code"])
def test_short_english_jargon_is_never_a_foreign_language(detector, text):
    assert detector.detect(text).code in (None, "en")
    assert not detector.is_unsupported(detector.detect(text))


@pytest.mark.parametrize("text", ["no wait, it's Friedrichstraße 101", "send it to Mariahilfer Straße 12, 1060 Wien please",
                                  "actually make it Rue de Rivoli 1"])
def test_a_foreign_street_in_an_english_message_is_not_a_foreign_language(detector, text):
    assert not detector.is_unsupported(detector.detect(text))


def test_places_beside_numbers_are_left_out_of_the_language():
    assert without_places("no wait, it's Friedrichstraße 101") == "no wait, it's"
    assert without_places("Hallo, wo ist meine Bestellung 1044884516?") == "Hallo, wo ist meine"
    assert without_places("Bonjour, où est ma commande ?") == "Bonjour, où est ma commande ?"


def test_ids_numbers_and_links_do_not_count_as_letters():
    assert letters_of("C01029 1004829371 R-1029") == 0
    assert letters_of("mail anna@example.com or see https://shop.example/faq") == 9  # "mail", "or", "see"
    assert letters_of("Wo ist meine Bestellung?") == 20


def test_decide_needs_letters_and_a_clear_lead():
    assert decide([("es", 0.9), ("pt", 0.1)], letters=20, min_confidence=0.0, min_letters=8, min_margin=0.3) == LanguageGuess("es", 0.9)
    assert decide([("es", 0.5), ("pt", 0.45)], letters=20, min_confidence=0.0, min_letters=8, min_margin=0.3).code is None
    assert decide([("es", 0.9), ("pt", 0.1)], letters=5, min_confidence=0.0, min_letters=8, min_margin=0.3).code is None
    assert decide([("es", 0.6), ("pt", 0.1)], letters=20, min_confidence=0.7, min_letters=8).code is None
    assert decide([], letters=20, min_confidence=0.0, min_letters=1).code is None


@pytest.mark.parametrize("text", ["mi pedido no ha llegado", "entrega atrasada", "quero cancelar o pedido"])
def test_two_foreign_look_alikes_in_a_near_tie_are_still_foreign(detector, text):
    """Spanish against Portuguese is a coin toss; that the shopper does not write English is not."""
    ranked = detector.ranked(text)
    assert {ranked[0][0], ranked[1][0]} == {"es", "pt"} and ranked[0][1] - ranked[1][1] < detector.min_margin
    guess = detector.detect(text)
    assert guess.code == ranked[0][0] and detector.is_unsupported(guess)


def test_a_near_tie_of_foreign_languages_close_to_english_stays_unknown(monkeypatch, detector):
    monkeypatch.setattr(detector, "ranked", lambda text: [("it", 0.48), ("de", 0.25), ("en", 0.14), ("fr", 0.13)])
    assert detector.detect("password reset").code is None  # lead over English 0.34 < foreign_margin 0.4
    monkeypatch.setattr(detector, "ranked", lambda text: [("it", 0.5), ("de", 0.45), ("en", 0.05)])
    assert detector.detect("irrelevant text").code == "it"


def test_only_a_confident_language_outside_the_spoken_ones_is_unsupported(detector):
    assert detector.is_unsupported(LanguageGuess("de", 0.9))
    assert not detector.is_unsupported(LanguageGuess("en", 0.9))
    assert not detector.is_unsupported(LanguageGuess(None, 0.2))
    bilingual = LanguageDetector(spoken=["en", "de"], candidates=["fr"], preload=False)
    assert bilingual.candidates == ["en", "de", "fr"]  # spoken languages are always candidates
    assert not bilingual.is_unsupported(LanguageGuess("de", 0.9))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"spoken": ["english"]}, "not an ISO 639-1"),
    ({"candidates": ["xx"]}, "'xx' is not a language the detector knows"),
    ({"spoken": []}, "at least one"),
    ({"spoken": ["en"], "candidates": []}, "at least two"),
    ({"min_margin": 1.5}, "min_margin"),
])
def test_bad_configuration_is_a_clear_error(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        LanguageDetector(**{"preload": False, **kwargs})


def test_built_from_settings_with_the_benchmarked_defaults():
    s = Settings().language
    assert (s.min_confidence, s.min_margin, s.min_letters) == (
        lang.DEFAULT_MIN_CONFIDENCE, lang.DEFAULT_MIN_MARGIN, lang.DEFAULT_MIN_LETTERS)
    assert tuple(s.candidates) == lang.DEFAULT_CANDIDATES and s.spoken == ["en"]
    detector = LanguageDetector.from_settings(s.model_copy(update={"candidates": ["en", "de"]}))
    assert (detector.spoken, detector.candidates, detector.min_margin) == (["en"], ["en", "de"], 0.3)


def test_settings_reject_codes_that_are_not_iso_639_1():
    with pytest.raises(ValueError, match="ISO 639-1"):
        Settings(language={"spoken": ["English"]})


@pytest.mark.parametrize(("code", "expected"), [
    ("de", "Entschuldigung, ich spreche nur Englisch. Soll ich jemanden aus unserem Team holen?"),
    ("fr", "Désolé, je parle seulement anglais. Voulez-vous que je fasse appel à une personne de notre équipe ?"),
    ("sv", "Tyvärr talar jag bara engelska. Ska jag hämta någon från vårt team?"),
])
def test_unsupported_language_reply_is_in_the_shoppers_language(code, expected):
    text, buttons = unsupported_language_reply(code, ["en"])
    assert text == expected
    assert len(buttons) == 1 and buttons[0]["payload"] == HUMAN_PAYLOAD


def test_reply_names_every_spoken_language_and_falls_back_to_english():
    assert unsupported_language_reply("nl", ["en", "de", "fr"])[0].startswith(
        "Sorry, ik spreek alleen Engels, Duits en Frans.")
    text, buttons = unsupported_language_reply("fi", ["en", "de"])  # no Finnish entry: English
    assert text == "Sorry, I only speak English and German. Shall I get a person from our team?"
    assert buttons == [{"title": "Yes, get a person", "payload": HUMAN_PAYLOAD}]


def test_every_candidate_language_has_a_reply_naming_every_candidate():
    replies = lang.load_replies()
    for code in lang.DEFAULT_CANDIDATES:
        assert code in replies, code
        assert set(lang.DEFAULT_CANDIDATES) <= set(replies[code]["names"]), code
        assert replies[code]["button"].strip()


def test_a_broken_replies_file_names_the_file(tmp_path):
    bad = tmp_path / "replies.yml"
    bad.write_text("replies:\n  en:\n    text: 'no placeholder'\n    button: b\n    and: and\n    names: {}\n")
    with pytest.raises(InvalidInput, match=r"replies\.yml: reply 'en': text must contain \{languages\}"):
        lang.load_replies(bad)
    bad.write_text("replies: [\n")
    with pytest.raises(InvalidInput, match="bad YAML"):
        lang.load_replies(bad)
