"""English function words shoppers wrap their questions in, shared by the lexical searches."""

from __future__ import annotations

STOPWORDS = frozenset(
    "a about am an and any are as at be been but by can could do does did for from had has have how i i'd i'm "
    "if in into is it its me my of on or our please should so some that the their them then there these this "
    "to us was we what when where which who will with would you your ya u ur want wanna need help know tell "
    "assistance hi hello hey".split()
)
