"""Shopper text, checked and normalised once at the edge, so nothing downstream meets hostile Unicode.

`clean` is a pure function of the text (no settings, no I/O): the web route and the chat service
call it alike. Every step is one linear pass; there is no regular expression here.
"""

from __future__ import annotations

import unicodedata
from typing import TypeVar

from common.errors import InvalidInput

T = TypeVar("T")
KEPT_CONTROLS = frozenset("\n\t")
# Bidirectional embeddings, overrides and isolates: they let a message display reversed in a console.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Unicode's stream-safe format (UAX #15) allows 30 combining marks after a base character; "Zalgo" text has thousands.
MAX_COMBINING_RUN = 30
# NFC can merge a few code points into one, never many: a raw text this much over the limit can never fit.
RAW_FACTOR = 4


def clean(text: str, max_chars: int, field: str = "text", mask: bool = True) -> str:
    """The text as it will be stored: valid, NFC, no control characters, bounded, secrets masked.

    Raises InvalidInput (HTTP 422) for a lone surrogate (no real keyboard makes one; it is a broken
    client or an attack), for text that is empty once cleaned, and for text over `max_chars`.
    """
    if len(text) > max_chars * RAW_FACTOR:
        raise InvalidInput(f"{field}: longer than {max_chars} characters")
    _reject_surrogates(text, field)
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _strip_controls(text).strip()
    if not text:
        raise InvalidInput(f"{field}: must not be empty")
    if len(text) > max_chars:
        raise InvalidInput(f"{field}: longer than {max_chars} characters")
    return mask_secrets(text) if mask else text


def for_reading(text: str) -> str:
    """The text as the assistant reads it: compatibility forms folded (NFKC), the stored text unchanged.

    Full-width "ｗｈｅｒｅ　ｉｓ　ｍｙ　ｏｒｄｅｒ" (a Japanese or Chinese keyboard left in wide mode), circled
    or styled letters and ligatures are the plain words to a shopper, so they are to the NLU, the
    language detector and the address and order-id parsers too. A text that folding would more than
    double (a few Arabic ligatures expand to 18 characters) is read as it is.
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    folded = unicodedata.normalize("NFKC", text)
    return folded if len(folded) <= 2 * len(text) else text


def check_plain(value: str, field: str) -> str:
    """For ids, e-mails and other short fields: reject NUL and lone surrogates (PostgreSQL cannot store them)."""
    if "\x00" in value:
        raise InvalidInput(f"{field}: must not contain NUL characters")
    _reject_surrogates(value, field)
    return value


def _reject_surrogates(text: str, field: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"{field}: not valid Unicode (a lone surrogate at character {exc.start + 1})") from None


def _strip_controls(text: str) -> str:
    """Drop control characters (keeping newline and tab), bidi overrides and over-long combining runs."""
    out: list[str] = []
    run = 0
    for ch in text:
        if ch in KEPT_CONTROLS:
            out.append(ch)
            run = 0
            continue
        if ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            continue
        if unicodedata.combining(ch):
            run += 1
            if run > MAX_COMBINING_RUN:
                continue
        else:
            run = 0
        out.append(ch)
    return "".join(out)


# -- secrets ---------------------------------------------------------------------------------------
CARD_DIGITS = (13, 19)
IBAN_LENGTH = (15, 34)
# ISO 13616 registry: the length of an IBAN in each country that issues them.
IBAN_LENGTHS = {c[:2]: int(c[2:]) for c in (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 "
    "FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 "
    "LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 "
    "SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20").split()}
SEPARATORS = " -"


def mask_secrets(text: str) -> str:
    """Card numbers (Luhn-valid runs of 13-19 digits, spaces or dashes between) and IBANs (mod-97 valid)
    replaced by `[card ending 1234]` / `[IBAN ending 1234]`, so they are never stored or shown to staff.

    One left-to-right scan: each position is looked at a bounded number of times.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        boundary = i == 0 or not text[i - 1].isalnum()
        if boundary and text[i].isascii() and text[i].isdigit():
            end, digits, groups = _digit_run(text, i)
            card = _card_end(digits, groups[:-1] if _alnum_at(text, end) else groups)
            if card is not None:
                card_end, count = card
                out.append(f"[card ending {digits[count - 4:count]}]")
                i = card_end
                continue
            out.append(text[i:end])
            i = end
            continue
        if boundary and _iban_start(text, i):
            end = _iban_end(text, i)
            if end:
                compact = text[i:end].replace(" ", "").upper()
                out.append(f"[IBAN ending {compact[-4:]}]")
                i = end
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _alnum_at(text: str, i: int) -> bool:
    return i < len(text) and text[i].isalnum()


def _digit_run(text: str, start: int) -> tuple[int, str, list[tuple[int, int]]]:
    """The digit run at `start` (single spaces or dashes allowed between digits): its end, its digits and
    where each group of digits ends as (index, digits so far)."""
    digits: list[str] = []
    groups: list[tuple[int, int]] = []
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if ch.isascii() and ch.isdigit():
            digits.append(ch)
            i += 1
        elif ch in SEPARATORS and i + 1 < n and text[i + 1].isascii() and text[i + 1].isdigit() and digits:
            groups.append((i, len(digits)))
            i += 1
        else:
            break
    groups.append((i, len(digits)))
    return i, "".join(digits), groups


def _card_end(digits: str, groups: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The longest Luhn-valid card number of 13-19 digits ending at a group boundary: (end index, digits)."""
    for end, count in reversed(groups):
        if CARD_DIGITS[0] <= count <= CARD_DIGITS[1] and _luhn(digits[:count]):
            return end, count
    return None


def _luhn(digits: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if k % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_start(text: str, i: int) -> bool:
    head = text[i:i + 4]
    return len(head) == 4 and head[:2].upper() in IBAN_LENGTHS and head[2:].isascii() and head[2:].isdigit()


def _iban_end(text: str, start: int) -> int:
    """End of the IBAN at `start` (the country's length of letters/digits, single spaces between
    groups, passing mod 97); 0 if there is none."""
    want = IBAN_LENGTHS[text[start:start + 2].upper()]
    chars: list[str] = []
    i, n = start, len(text)
    while i < n and len(chars) < want:
        ch = text[i]
        if ch.isascii() and ch.isalnum():
            chars.append(ch.upper())
            i += 1
        elif ch == " " and i + 1 < n and text[i + 1].isascii() and text[i + 1].isalnum() and chars:
            i += 1
        else:
            break
    if len(chars) != want or _alnum_at(text, i) or not _iban_valid("".join(chars)):
        return 0
    return i


def _iban_valid(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    remainder = 0
    for ch in rearranged:
        value = int(ch, 36)
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder == 1


def printable(value: T) -> T:
    """`value` with every lone surrogate in its strings replaced by U+FFFD, for texts stored before `clean`
    existed: one bad old message must not make a history or a transcript unreadable for good."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)  # type: ignore[return-value]
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [printable(v) for v in value]  # type: ignore[return-value]
    return value
