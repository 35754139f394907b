"""Typo repair before the intent classifier: "pls cancle my ordr" reads as "pls cancel my order".

A fine-tuned encoder splits an unknown word into pieces it never saw together ("cancle" → "can", "##cle")
and may then pick a different intent. A shopper's misspelt key word is usually one edit away from a word
of the training data, so each unknown word within one edit (Damerau: delete, insert, replace, swap) of a
training word is replaced by the most frequent such word. A word counts as known when the encoder's own
vocabulary holds it whole (30k common words and names: streets, cities and ordinary words are never
touched); training words outside it are often typos themselves ("cancle" in an augmented example), so
they are candidates but do not shield a word from its more frequent neighbour. Digits, short words and
words with other characters are left alone.
`Repair.to_original` maps spans of the repaired text back to the shopper's own text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MIN_LENGTH = 4  # shorter words have too many neighbours one edit away ("form" → "for", "from")
MIN_SUBSTITUTION_LENGTH = 5  # "dont" is not "done": a wrong letter in a short word is too often a real word
MAX_LENGTH = 20  # longer "words" are codes or noise, and their edits cost more than they could win
MAX_WORDS = 64  # the encoder reads 64 tokens; words past them cannot change its answer
OUTWEIGH = 5  # a training word yields only to a neighbour this many times as frequent ("cancle" 1, "cancel" 38)


APOSTROPHES = "'\u2019"


def words(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word (letters, and apostrophes between them), in one linear scan (no regex)."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(text):
        if ch.isalpha() or (start >= 0 and ch in APOSTROPHES and text[i + 1:i + 2].isalpha()):
            if start < 0:
                start = i
        elif start >= 0:
            spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(text)))
    return spans


def count_words(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased word counts of the training utterances: the words a repair may produce."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(text[s:e].lower() for s, e in words(text))
    return counts


@dataclass(frozen=True)
class Repair:
    """A repaired text and, per replaced word, (original start, original end, new start, new end)."""

    text: str
    replaced: tuple[tuple[int, int, int, int], ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that a span of the repaired text covers."""
        return self._position(start, True), self._position(end, False)

    def _position(self, pos: int, is_start: bool) -> int:
        shift = 0
        for o_start, o_end, n_start, n_end in self.replaced:
            if pos < n_start or (not is_start and pos == n_start):
                break
            if pos < n_end or (not is_start and pos == n_end):
                return o_start if is_start else o_end
            shift += (o_end - o_start) - (n_end - n_start)
        return pos + shift


class SpellingRepair:
    """Replaces unknown words one edit from a training word; see the module docstring."""

    def __init__(self, counts: dict[str, int], known: Iterable[str] = ()) -> None:
        self.counts = {w: int(c) for w, c in counts.items() if w.isalpha()}
        self.known = frozenset(w for w in known if w.isalpha())
        self.alphabet = "".join(sorted({ch for w in self.counts for ch in w}))

    def suggest(self, word: str) -> str | None:
        """The most frequent training word one edit from an unknown `word`, or None.

        Swapped, missing and doubled letters ("cancle", "ordr", "cancell") are tried before wrong ones
        ("helo" is "hello" before "help"); a trailing "s" is grammar, not a typo ("wheres", "whats" stay).
        """
        lower = word.lower()
        if not MIN_LENGTH <= len(lower) <= MAX_LENGTH or not lower.isalpha() or lower in self.known or (lower[-1] == "s" and self._is_word(lower[:-1])):
            return None
        own = self.counts.get(lower, 0)
        moved, substituted = self._edits(lower)
        for candidates in (moved, substituted if len(lower) >= MIN_SUBSTITUTION_LENGTH else set()):
            best: tuple[int, str] | None = None
            for candidate in candidates:
                count = self.counts.get(candidate)
                if (count and count >= OUTWEIGH * own and len(candidate) >= MIN_LENGTH
                        and lower not in (candidate[:-1], candidate + "s") and (best is None or (count, best[1]) > (best[0], candidate))):
                    best = (count, candidate)
            if best:
                return best[1]
        return None

    def _is_word(self, word: str) -> bool:
        """Known whole, or a training word that is not itself a typo ("refnd" is, so "refnds" is repaired)."""
        return word in self.known or (word in self.counts and self.suggest(word) is None)

    def _edits(self, word: str) -> tuple[set[str], set[str]]:
        """Words one swap, deletion or insertion away; then words one substitution away."""
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        moved = {a + b[1:] for a, b in splits if b}
        moved |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        moved |= {a + c + b for a, b in splits for c in self.alphabet}
        return moved, {a + c + b[1:] for a, b in splits if b for c in self.alphabet}

    def repair(self, text: str) -> Repair:
        """`text` with its repairable words replaced (lower-cased: the encoder is uncased)."""
        parts: list[str] = []
        replaced: list[tuple[int, int, int, int]] = []
        cursor = length = 0
        for start, end in words(text)[:MAX_WORDS]:
            fix = self.suggest(text[start:end])
            if fix is None:
                continue
            parts.append(text[cursor:start])
            length += start - cursor
            replaced.append((start, end, length, length + len(fix)))
            parts.append(fix)
            length += len(fix)
            cursor = end
        if not replaced:
            return Repair(text)
        parts.append(text[cursor:])
        return Repair("".join(parts), tuple(replaced))
