"""Split documents into passages a shopper can read in a chat bubble, headings kept as context.

Why passages and not whole articles: one article answers several questions (a returns article covers
windows, labels and final sale), and a 30-word paragraph embeds far more precisely than 800 words.
Each passage carries the text shown to the shopper and the text that is indexed (title and heading
prefixed, markdown stripped), so a paragraph under "## Final sale" still matches "final sale".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from knowledge_base.documents import Document

_HEADING = re.compile(r"^(#{2,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(€£])")


@dataclass
class Passage:
    """A retrievable unit; `text` is what the shopper sees, `indexed` what is embedded and matched."""

    passage_id: str
    doc_id: str
    title: str
    url: str | None
    heading: str
    text: str
    indexed: str
    kind: str  # "title", "question", "section"
    language: str = "en"  # ISO 639-1 of its document (indexes saved before languages: English)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        return cls(**data)


def plain(markdown: str) -> str:
    """Markdown to plain words for indexing: links keep their text, emphasis and markers go."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", r"\2", text)
    text = re.sub(r"^\s*(?:[-*+>]|\d+[.)])\s+", "", text, flags=re.M)
    text = re.sub(r"^\|?[\s:|-]+\|?$", "", text, flags=re.M)
    text = text.replace("|", " ")
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> int:
    return len(text.split())


def _blocks(lines: list[str]) -> list[str]:
    """Paragraphs, with each list item its own block so long lists split between items."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if not line.strip():
            if current:
                blocks.append(current)
            current = []
        elif _LIST_ITEM.match(line) and current:
            blocks.append(current)
            current = [line]
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return ["\n".join(b).strip() for b in blocks if "\n".join(b).strip()]


def _split_long(block: str, max_words: int) -> list[str]:
    """A paragraph longer than `max_words` is cut between sentences (or words, as a last resort)."""
    if _words(block) <= max_words:
        return [block]
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(block):
        if current and _words(current) + _words(sentence) > max_words:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    out: list[str] = []
    for piece in pieces:
        words = piece.split()
        out.extend(" ".join(words[i:i + max_words]) for i in range(0, len(words), max_words))
    return out


def _pack(blocks: list[str], max_words: int) -> list[str]:
    """Greedily join consecutive blocks (list items join with newlines) up to `max_words`."""
    chunks, current = [], ""
    for block in (piece for b in blocks for piece in _split_long(b, max_words)):
        if current and _words(current) + _words(block) > max_words:
            chunks.append(current)
            current = ""
        sep = "\n" if _LIST_ITEM.match(block) and current else "\n\n"
        current = f"{current}{sep}{block}" if current else block
    if current:
        chunks.append(current)
    return chunks


def sections(body: str) -> list[tuple[str, list[str]]]:
    """(heading path, lines) per section; the intro before any `##` heading has an empty path."""
    out: list[tuple[str, list[str]]] = []
    stack: list[tuple[int, str]] = []
    current: list[str] = []
    path = ""
    in_code = False
    for line in body.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line.strip())
        if match:
            out.append((path, current))
            level = len(match.group(1))
            stack = [(lvl, name) for lvl, name in stack if lvl < level] + [(level, plain(match.group(2)))]
            path, current = " › ".join(name for _, name in stack), []
        else:
            current.append(line)
    out.append((path, current))
    return [(p, lines) for p, lines in out if any(line.strip() for line in lines)]


def chunk_document(doc: Document, max_words: int = 150, title_passage: bool = True) -> list[Passage]:
    """The passages of one document, ids `<doc_id>#<n>` in reading order.

    Articles get a title passage (title and tags only, showing the first section) and one passage
    per front-matter question, so a short question matching them wins; FAQ entries get their
    question as its own passage, showing the answer, because shoppers paraphrase the question far
    more often than the answer. (Bitext dev half, at the time: recall@1 0.69 with title
    passages, 0.53 without.)
    """
    tag_text = " ".join(doc.tags)
    parts: list[tuple[str, str]] = []  # (heading, markdown chunk)
    for heading, lines in sections(doc.body):
        parts.extend((heading, chunk) for chunk in _pack(_blocks(lines), max_words))
    parts = _merge_sections(parts, max_words)
    passages: list[Passage] = []

    def add(kind: str, heading: str, text: str, indexed: str) -> None:
        passages.append(Passage(f"{doc.doc_id}#{len(passages)}", doc.doc_id, doc.title, doc.url,
                                heading, text, indexed, kind, doc.language or "en"))

    if doc.kind == "faq":
        add("question", "", parts[0][1] if parts else doc.body, f"{doc.title} {tag_text}".strip())
    elif title_passage:
        add("title", "", parts[0][1], f"{doc.title} {tag_text}".strip())
    for question in doc.questions:
        add("question", "", parts[0][1], question)
    for heading, chunk in parts:
        lead = doc.title if doc.title[-1:] in ".?!" else f"{doc.title}."
        add("section", heading, chunk, f"{lead} {plain(chunk)}")
    return passages


def _merge_sections(parts: list[tuple[str, str]], max_words: int) -> list[tuple[str, str]]:
    """Join short neighbouring sections (sub-headings kept as bold lines) up to `max_words`.

    A help article is often a row of 20-word sections ("Standard", "Express", "International");
    shown alone, one of them answers "what delivery options are there?" only in part.
    """
    merged: list[tuple[list[str], str]] = []
    for heading, chunk in parts:
        shown = f"**{heading.split(' › ')[-1]}**\n{chunk}" if heading else chunk
        if merged and _words(merged[-1][1]) + _words(shown) <= max_words:
            headings, text = merged[-1]
            merged[-1] = (headings + ([heading] if heading and heading not in headings else []), f"{text}\n\n{shown}")
        else:
            merged.append(([heading] if heading else [], shown))
    return [(" · ".join(h), text) for h, text in merged]
