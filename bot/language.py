"""Which language a shopper writes in, and what to say when the NLU does not speak it.

Detection uses Lingua (`lingua-language-detector`): it works offline (its n-gram models ship in the
wheel), is maintained, and its confidences separate short messages well enough that one rule
chosen on dev messages gave no wrong language at all on the test messages of
benchmarks/language_detect.py (py3langid and langdetect, under the same rule chosen the same way,
gave English messages a foreign language). It costs ~300 MB and a few seconds to load for ten
languages, so it is built once per process and restricted to a configured candidate set, which
also removes look-alike languages nobody writes to the shop in.

Short or ambiguous text ("ok", "thx", "C01029", "refund pls") must never be taken for a foreign
language: the shopper would be told "I only speak English" in Polish. So a guess needs enough
letters (digits, ids and links do not count) and a clear confidence, else it is `None` ("unknown"),
which the dialogue treats as "go on as usual".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from common.errors import InvalidInput

# The languages benchmarks/language_detect.py measures; a shop may configure any ISO 639-1 code Lingua knows.
DEFAULT_CANDIDATES = ("en", "de", "fr", "nl", "es", "it", "pl", "pt", "sv", "da")
# Chosen by benchmarks/language_detect.py on the dev half of its messages (never on the test half):
# a lead of 0.3 over the runner-up and 8 letters; a floor on the confidence itself added nothing.
DEFAULT_MIN_CONFIDENCE = 0.0
DEFAULT_MIN_MARGIN = 0.3
DEFAULT_MIN_LETTERS = 8
# Chosen on the same dev half: 0.35 scored one message higher, but its lead over the only English message
# it would call foreign ("password reset": Italian 0.48, English 0.14) is 0.34; 0.4 keeps a safe distance.
DEFAULT_FOREIGN_MARGIN = 0.4
STREET_PARTICLES = frozenset("de la du des del di da van der den von zu am an im op".split())
REPLIES_FILE = Path(__file__).resolve().parent / "language_replies.yml"
HUMAN_PAYLOAD = "I want to talk to a person"  # what the person button sends: the English NLU understands it


@dataclass(frozen=True)
class LanguageGuess:
    """ISO 639-1 code of the message's language, or None when the text is too short or ambiguous."""

    code: str | None
    confidence: float


def letters_of(text: str) -> int:
    """Letters that can tell a language: tokens holding digits, '@' or '/' (ids, order numbers,
    e-mails, links) and emoji do not count. No regex: linear in the text."""
    count = 0
    for token in text.split():
        if any(c.isdigit() or c in "@/" for c in token):
            continue
        count += sum(1 for c in token if c.isalpha())
    return count


def without_places(text: str) -> str:
    """The text without numbers and the words beside them: a street before its house number and a city
    after its postal code ("no wait, it's Friedrichstraße 101", "order 1044 to 10117 Berlin") name
    places, not the shopper's language. No regex: linear in the text."""
    tokens = text.split()
    drop = [any(c.isdigit() for c in t) for t in tokens]
    for i in [i for i, numbered in enumerate(drop) if numbered]:
        if i + 1 < len(tokens):
            drop[i + 1] = True  # the city after a postal code
        j = i - 1  # the street before a house number: its capitalised words and particles ("Rue de Rivoli 1")
        while j >= 0 and i - j <= 4 and (tokens[j][:1].isupper() or tokens[j] in STREET_PARTICLES or j == i - 1):
            drop[j] = True
            j -= 1
    return " ".join(t for t, dropped in zip(tokens, drop, strict=True) if not dropped)


def decide(ranked: Sequence[tuple[str, float]], letters: int, min_confidence: float,
           min_letters: int, min_margin: float = 0.0, spoken: Iterable[str] = (),
           foreign_margin: float = 1.0) -> LanguageGuess:
    """The rule shared by every backend: a language only with enough letters, a confidence of at
    least `min_confidence` and a lead of `min_margin` over the runner-up (Spanish and Portuguese,
    Danish and Swedish share many short messages: a near tie is unknown, not a coin toss).

    A near tie of two languages outside `spoken` ("mi pedido no ha llegado": Spanish 0.62, Portuguese
    0.34) still names the likelier one when it leads every spoken language by `foreign_margin`: which
    foreign language is a coin toss, that the shopper does not write a spoken one is not."""
    if letters < min_letters or not ranked:
        return LanguageGuess(None, 0.0)
    code, confidence = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if confidence < min_confidence:
        return LanguageGuess(None, round(float(confidence), 4))
    if confidence - runner_up < min_margin:
        speaks = set(spoken)
        best_spoken = max((c for lang, c in ranked if lang in speaks), default=0.0)
        both_foreign = bool(speaks) and len(ranked) > 1 and not {code, ranked[1][0]} & speaks
        if not (both_foreign and confidence - best_spoken >= foreign_margin):
            return LanguageGuess(None, round(float(confidence), 4))
    return LanguageGuess(code, round(float(confidence), 4))


def _normalise_codes(codes: Iterable[str], what: str) -> list[str]:
    out = []
    for code in codes:
        clean = str(code).strip().lower()
        if len(clean) != 2 or not clean.isalpha():
            raise InvalidInput(f"{what}: {code!r} is not an ISO 639-1 language code (two letters, e.g. 'de')")
        if clean not in out:
            out.append(clean)
    return out


class LanguageDetector:
    """Built once (it loads one n-gram model per candidate language), then cheap per message."""

    def __init__(self, spoken: Iterable[str] = ("en",), candidates: Iterable[str] = DEFAULT_CANDIDATES,
                 min_confidence: float = DEFAULT_MIN_CONFIDENCE, min_letters: int = DEFAULT_MIN_LETTERS,
                 min_margin: float = DEFAULT_MIN_MARGIN, low_accuracy: bool = False, preload: bool = True,
                 foreign_margin: float = DEFAULT_FOREIGN_MARGIN) -> None:
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        self.spoken = _normalise_codes(spoken, "spoken languages")
        if not self.spoken:
            raise InvalidInput("spoken languages: name at least one (e.g. ['en'])")
        # The spoken languages are always candidates: else their messages would be read as a neighbour.
        self.candidates = _normalise_codes([*self.spoken, *candidates], "candidate languages")
        if len(self.candidates) < 2:
            raise InvalidInput("candidate languages: name at least two (one to detect and one to tell apart)")
        if not 0.0 <= min_confidence <= 1.0:
            raise InvalidInput(f"min_confidence must be between 0 and 1, got {min_confidence}")
        if not 0.0 <= min_margin <= 1.0:
            raise InvalidInput(f"min_margin must be between 0 and 1, got {min_margin}")
        self.min_confidence, self.min_letters, self.min_margin = float(min_confidence), int(min_letters), float(min_margin)
        self.foreign_margin = float(foreign_margin)
        languages = []
        for code in self.candidates:
            try:
                languages.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
            except ValueError:
                raise InvalidInput(f"candidate languages: {code!r} is not a language the detector knows") from None
        builder = LanguageDetectorBuilder.from_languages(*languages)
        if low_accuracy:
            builder = builder.with_low_accuracy_mode()
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector = builder.build()

    @classmethod
    def from_settings(cls, settings: Any) -> LanguageDetector:
        """From the `language` section of `common.settings.Settings` (or anything with its fields)."""
        return cls(spoken=settings.spoken, candidates=settings.candidates, min_confidence=settings.min_confidence,
                   min_letters=settings.min_letters, min_margin=settings.min_margin, low_accuracy=settings.low_accuracy,
                   foreign_margin=settings.foreign_margin)

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """(code, confidence) of every candidate language, most likely first; confidences sum to 1."""
        values = self._detector.compute_language_confidence_values(text)
        return [(v.language.iso_code_639_1.name.lower(), float(v.value)) for v in values]

    def detect(self, text: str) -> LanguageGuess:
        """The message's language, or `LanguageGuess(None, ...)` when it cannot be told safely."""
        text = without_places(text)
        letters = letters_of(text)
        if letters < self.min_letters:  # skip the model: nothing it could say would be used
            return LanguageGuess(None, 0.0)
        return decide(self.ranked(text), letters, self.min_confidence, self.min_letters, self.min_margin,
                      self.spoken, self.foreign_margin)

    def is_unsupported(self, guess: LanguageGuess) -> bool:
        """True when the message is confidently in a language the NLU was not trained on."""
        return guess.code is not None and guess.code not in self.spoken


# -- the reply to a language the NLU does not speak -----------------------------------------------------

@lru_cache(maxsize=4)
def load_replies(path: Path = REPLIES_FILE) -> dict[str, dict[str, Any]]:
    """The localized sentences, checked once: every entry needs text, button and language names."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path}: bad YAML: {exc}") from None
    replies = data.get("replies") if isinstance(data, dict) else None
    if not isinstance(replies, dict) or "en" not in replies:
        raise InvalidInput(f"{path}: expected 'replies:' with at least an 'en' entry")
    for code, entry in replies.items():
        missing = [k for k in ("text", "button", "names", "and") if not isinstance(entry, dict) or k not in entry]
        if missing:
            raise InvalidInput(f"{path}: reply {code!r} lacks {', '.join(missing)}")
        if "{languages}" not in entry["text"]:
            raise InvalidInput(f"{path}: reply {code!r}: text must contain {{languages}}")
    return replies


def language_list(codes: Sequence[str], entry: dict[str, Any]) -> str:
    """'English', 'English and German', 'English, German and French' in the reply's language."""
    names = [str(entry["names"].get(c, c.upper())) for c in codes]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {entry['and']} {names[-1]}"


def unsupported_language_reply(code: str, spoken: Sequence[str], replies: dict[str, dict[str, Any]] | None = None,
                               payload: str = HUMAN_PAYLOAD) -> tuple[str, list[dict[str, str]]]:
    """(text, buttons) telling the shopper, in their language where we have it (else English), which
    languages the assistant speaks, with a button that asks for a person."""
    replies = replies if replies is not None else load_replies()
    entry = replies.get(code) or replies["en"]
    text = entry["text"].format(languages=language_list(list(spoken), entry))
    return text, [{"title": entry["button"], "payload": payload}]
