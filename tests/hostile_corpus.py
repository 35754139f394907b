"""A corpus of hostile strings, generated here (nothing fetched): Unicode edge cases, NULs, huge
repetitions, regex killers, markup, SQL and format-string fragments. `hostile_strings()` gives > 200."""

from __future__ import annotations

# Unicode edge cases: invalid, invisible, reordering, combining, astral, every script direction.
UNICODE = [
    "hi \ud800", "\udfff", "a\ud800b\udc00c", "\ud83d", "\ud83d\ud83d", "\udc00\ud800",  # lone / reversed surrogates
    "\ufffe\uffff", "\ufeffwhere is my order", "\U0010ffff", "\U000e0001tag", "\u0378\u0379 unassigned",
    "\u202eredro ym si erehw", "abc\u202d\u202e\u202c\u2066\u2067\u2068\u2069", "\u200b\u200c\u200d\u2060" * 50,
    "e" + "\u0301" * 10_000, "Z\u0351\u0352\u0353\u0354" * 2_000, "\u0915\u094d\u0937" * 200, "a\u0301\u0300\u0302" * 500,
    "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466" * 100, "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F",
    "\U0001F44D\U0001F3FD" * 300, "\U0001F1E9\U0001F1EA\U0001F1EB\U0001F1F7", "\U0001D400\U0001D401\U0001D402 math bold",
    "\uff11\uff12\uff13\uff14 fullwidth order", "İıẞß ﬃ ﬀ", "\u1100\u1161\u11a8 jamo", "\u3042\u3044\u3046 \u4e2d\u6587",
    "مرحبا أين طلبي", "שלום איפה ההזמנה שלי", "\u2028line\u2029para", "\r\n\r\n\t\t\v\f", "\x00", "\x00" * 100,
    "where\x00is my order", "".join(chr(c) for c in range(1, 32)), "\x7f\x80\x81\x9f", "\u0085next line",
    "\U0001F4A9" * 5_000, "🙂" * 50_000, "\u00a0\u2000\u2001\u3000 spaces", "o\u0308\u0304 \u01d5", "\u0130\u0307",
]

# Patterns that make backtracking regular expressions explode, and inputs built to be long.
REGEX_KILLERS = [
    "a, AB" + " " * 1994 + "!", "a, AB" + " " * 490 + "!", "a, A" + "B " * 400 + "!", "," * 5_000, "a," * 5_000,
    "a" * 50 + "!", "(" * 1_000 + ")" * 999, "1" * 5_000 + "x", "order " + "1" * 10_000, "a@" * 5_000,
    "x" * 30 + "@" + ".a" * 5_000, " " * 10_000 + "x", "\t" * 5_000, "-" * 5_000, "0-" * 5_000, "AB12 " * 1_000,
    "DE89 " * 2_000, "4111 " * 2_000, "1 2 " * 2_500, "Main Street 1, " * 300 + "!", "a" * 100_000,
    " " * 100_000, "\n" * 100_000, "0" * 100_000, "ab" * 50_000,
]

MARKUP = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg/onload=alert(1)>", "<div>" * 5_000,
    "</textarea><script>alert(1)</script>", "javascript:alert(1)", "[" * 3_000 + "]" * 3_000, "{" * 3_000,
    "{{7*7}}", "${7*7}", "#{7*7}", "<!--", "]]>", "**" * 2_000, "`" * 1_000, "<a href='javascript:alert(1)'>x</a>",
    "&lt;script&gt;", "&#x3C;script&#x3E;", "<iframe srcdoc='<script>alert(1)</script>'>", "\"><script>alert(1)</script>",
    "<b>" * 100 + "deep" + "</b>" * 100, "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>",
]

SQL_AND_FORMAT = [
    "'; DROP TABLE customers; --", "' OR 1=1 --", "\" OR \"\"=\"", "1; SELECT pg_sleep(10)", "' UNION SELECT * FROM staff_users --",
    "%' AND 1=0 --", "\\", "\\\\\\", "\\x00", "\\u0000", "'" * 1_000, "\"" * 1_000, ";" * 1_000,
    "{0.__class__}", "{0.__class__.__mro__[1].__subclasses__()}", "{}", "{0}", "%s%n", "%x" * 100, "%n" * 100,
    "{{", "}}", "%(text)s", "\\N{BULLET}", "$(reboot)", "`id`", "| cat /etc/passwd", "../../etc/passwd",
    "null", "undefined", "NaN", "Infinity", "-Infinity", "-1", "9" * 400, "1e309", "true", "[]", "{}", "0x7fffffffffffffff",
    "18446744073709551616", "-9223372036854775809", "😀'; DROP TABLE conversations; --",
]

SECRETS = ["my card is 4111 1111 1111 1111", "IBAN DE89 3704 0044 0532 0130 00", "4111111111111111" * 100]


def hostile_strings() -> list[str]:
    """Every seed, plus each short seed inside a normal sentence (parsers look at context too)."""
    seeds = UNICODE + REGEX_KILLERS + MARKUP + SQL_AND_FORMAT + SECRETS
    wrapped = [f"where is my order {s} please" for s in seeds if len(s) < 200]
    return seeds + wrapped
