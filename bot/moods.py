"""What a message made only of emoji says: "😡😡😡" is an upset shopper, "👍" a thank-you.

The NLU never saw such messages and reads them as out of scope ("Sorry, I didn't understand"), which
to an angry shopper is the worst answer. Only a message with no letters or digits at all has a mood:
"great 👍" and "no 👎" are words first, left to the NLU.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Mood = Literal["upset", "pleased"]

UPSET = frozenset("😡😠🤬😤👎😞😢😭😩😫🙄💩😒☹🙁😟😖😣😾🖕💔😑😐🤦")
PLEASED = frozenset("👍🙂😊😀😃😄😁❤♥🙏👌😍🥰✅👏🎉💯😉🤩☺💚💙🧡💛💜🤗😎")
# Joiners, variation selectors and skin tones that ride along with an emoji.
MODIFIERS = frozenset("\u200d\ufe0e\ufe0f") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def mood_of(text: str) -> Mood | None:
    """The mood of an emoji-only message, or None (words, mixed feelings, or no emoji it knows)."""
    upset = pleased = 0
    for ch in text:
        if ch in UPSET:
            upset += 1
        elif ch in PLEASED:
            pleased += 1
        elif ch in MODIFIERS or ch.isspace() or unicodedata.category(ch)[0] in "PS":
            continue  # punctuation ("!!!") and other symbols carry no words
        else:
            return None  # a letter or a digit: the NLU reads it
    if upset and not pleased:
        return "upset"
    if pleased and not upset:
        return "pleased"
    return None
