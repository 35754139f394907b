"""English function words shoppers wrap their questions in, shared by the lexical searches."""

from __future__ import annotations

STOPWORDS = frozenset(
    "a about am an and any are as at be been but by can could do does did for from had has have how i i'd i'm "
    "if in into is it its me my of on or our please should so some that the their them then there these this "
    "to us was we what when where which who will with would you your ya u ur want wanna need help know tell "
    "assistance hi hello hey".split()
)


def split_words(text: str, keep: str = "") -> list[str]:
    """Runs of letters and digits (plus the characters in `keep`), in one linear pass: no regex on shopper text."""
    out: list[str] = []
    cur: list[str] = []
    for ch in text:
        if ch.isalnum() or ch in keep:
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def singular(word: str) -> str:
    """Good enough for product names: cups -> cup, glasses -> glass, boxes -> box; glass stays glass."""
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word
