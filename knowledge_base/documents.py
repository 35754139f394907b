"""Help-centre sources: Markdown articles and FAQ files (CSV, JSON, JSONL) read into `Document`s.

Every problem is collected with its file and line and raised together as `DataFileErrors`, so a
support lead fixes a whole help centre in one pass and nothing is ever half-indexed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common.errors import DataFileError, DataFileErrors

ARTICLE_SUFFIXES = {".md", ".markdown"}
FAQ_SUFFIXES = {".csv", ".json", ".jsonl"}
SUFFIXES = ARTICLE_SUFFIXES | FAQ_SUFFIXES
FRONT_MATTER_KEYS = {"id", "url", "tags", "title", "questions", "language"}
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass
class Document:
    """One article or FAQ entry, with where it came from (for error messages and rebuilds)."""

    doc_id: str
    title: str
    body: str
    kind: str  # "article" or "faq"
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)  # other ways shoppers ask what this answers
    source: str = ""
    line: int = 1
    auto_id: bool = False  # FAQ id made from the question's slug
    language: str | None = None  # ISO 639-1; None until `load_documents` applies the default

    def to_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "title": self.title, "kind": self.kind, "url": self.url,
                "tags": self.tags, "questions": self.questions, "source": self.source, "line": self.line,
                "language": self.language}


def expand_sources(paths: list[Path]) -> list[Path]:
    """Files named directly plus every supported file under named directories, sorted."""
    files: list[Path] = []
    errors: list[DataFileError] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES))
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                errors.append(DataFileError(str(path), None, f"unsupported file type {path.suffix!r} (use .md, .csv, .json or .jsonl)"))
            files.append(path)
        else:
            errors.append(DataFileError(str(path), None, "no such file or directory"))
    if errors:
        raise DataFileErrors(errors)
    return files


def load_documents(paths: list[Path], default_language: str = "en") -> list[Document]:
    """Read every source; raise one `DataFileErrors` listing every bad file, row and duplicate id.
    Documents that name no language get `default_language` (setting KEEPCART_KB__DEFAULT_LANGUAGE)."""
    default = language_code(default_language, "default language", None)
    documents: list[Document] = []
    errors: list[DataFileError] = []
    for path in expand_sources(paths):
        suffix = path.suffix.lower()
        try:
            if suffix in ARTICLE_SUFFIXES:
                documents.append(parse_markdown(path.read_text(encoding="utf-8"), str(path)))
            elif suffix == ".csv":
                documents.extend(parse_faq_csv(path.read_text(encoding="utf-8-sig"), str(path), path.stem))
            elif suffix in {".json", ".jsonl"}:
                documents.extend(parse_faq_json(path.read_text(encoding="utf-8-sig"), str(path), path.stem, suffix == ".jsonl"))
            else:
                errors.append(DataFileError(str(path), None, f"unsupported file type {suffix!r}"))
        except DataFileErrors as exc:
            errors.extend(exc.errors)
        except DataFileError as exc:
            errors.append(exc)
        except UnicodeDecodeError as exc:
            errors.append(DataFileError(str(path), None, f"not UTF-8 text ({exc.reason})"))
    seen: dict[str, Document] = {}
    for doc in documents:
        first = seen.setdefault(doc.doc_id, doc)
        if first is not doc:
            errors.append(DataFileError(doc.source, doc.line, f"duplicate document id {doc.doc_id!r} (first in {first.source}:{first.line})"))
    if errors:
        raise DataFileErrors(errors)
    for doc in documents:
        doc.language = doc.language or default
    return documents


def language_code(value: Any, path: str, line: int | None) -> str:
    """An ISO 639-1 code from 'de', 'DE', 'de-AT' or 'de_AT' (the region is dropped: retrieval and
    the NLU work per language)."""
    text = str(value).strip() if isinstance(value, str) else ""
    base = text.replace("_", "-").split("-")[0].lower()
    if len(base) != 2 or not base.isascii() or not base.isalpha():
        raise DataFileError(path, line, f"bad language {value!r}: use an ISO 639-1 code such as 'en' or 'de'")
    return base


def _clean_id(value: Any, path: str, line: int) -> str:
    text = str(value).strip() if value is not None else ""
    if not text or any(c.isspace() for c in text) or "#" in text:
        raise DataFileError(path, line, f"bad id {value!r}: use a non-empty id without spaces or '#'")
    return text


def _tags(value: Any, path: str, line: int) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list) and all(isinstance(t, (str, int, float)) for t in value):
        return [str(t).strip() for t in value if str(t).strip()]
    raise DataFileError(path, line, "tags must be a list of words or a comma-separated string")


def _questions(value: Any, path: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(q, str) and q.strip() for q in value):
        return [q.strip() for q in value]
    raise DataFileError(path, 2, "questions must be a list of non-empty strings")


def parse_markdown(text: str, path: str) -> Document:
    """An article: optional YAML front matter (id, url, tags, title, questions), then a `# Title` heading."""
    lines = text.splitlines()
    meta: dict[str, Any] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
        if end is None:
            raise DataFileError(path, 1, "front matter opened with '---' is never closed")
        try:
            loaded = yaml.safe_load("\n".join(lines[1:end])) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise DataFileError(path, 2 + mark.line if mark else 1, f"bad front matter: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(loaded, dict):
            raise DataFileError(path, 2, "front matter must be 'key: value' lines")
        unknown = sorted(set(map(str, loaded)) - FRONT_MATTER_KEYS)
        if unknown:
            raise DataFileError(path, 2, f"unknown front-matter key(s) {unknown}; allowed: {sorted(FRONT_MATTER_KEYS)}")
        meta, start = loaded, end + 1
    title_line = next((i for i in range(start, len(lines)) if lines[i].strip()), None)
    match = _HEADING.match(lines[title_line].strip()) if title_line is not None else None
    if title_line is None or not match or len(match.group(1)) != 1:
        where = (title_line + 1) if title_line is not None else len(lines) or 1
        raise DataFileError(path, where, "an article must start with a '# Title' heading")
    title = str(meta.get("title") or match.group(2)).strip()
    body = "\n".join(lines[title_line + 1:]).strip()
    if not re.search(r"\w", re.sub(r"^#+.*$", "", body, flags=re.M)):
        raise DataFileError(path, title_line + 1, "the article has a title but no text")
    doc_id = _clean_id(meta.get("id", Path(path).stem), path, 2 if "id" in meta else 1)
    url = meta.get("url")
    language = None
    if "language" in meta:
        key_line = next((i + 1 for i in range(1, start) if lines[i].lstrip().startswith("language")), 2)
        language = language_code(meta["language"], path, key_line)
    return Document(doc_id=doc_id, title=title, body=body, kind="article", url=str(url) if url else None,
                    tags=_tags(meta.get("tags"), path, 2), questions=_questions(meta.get("questions"), path),
                    source=path, line=title_line + 1, language=language)


def slug(text: str, limit: int = 60) -> str:
    """A readable, stable id from a question, so FAQ ids survive reordering rows."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:limit].rstrip("-") or "faq"


# Column names FAQ exports use for our fields ("Question"/"Answer" are folded by case already).
FAQ_ALIASES = {"q": "question", "query": "question", "a": "answer", "response": "answer", "reply": "answer",
               "link": "url", "faq_id": "id", "lang": "language", "locale": "language"}


def _field_name(key: object, present: set[str]) -> str:
    name = re.sub(r"[\s-]+", "_", str(key).strip().lower())
    alias = FAQ_ALIASES.get(name)
    return alias if alias and alias not in present else name


def _faq_fields(keys: list[str]) -> list[str]:
    """Our field name for each column: case-insensitive, with the aliases of common FAQ exports."""
    present = {re.sub(r"[\s-]+", "_", str(k).strip().lower()) for k in keys}
    return [_field_name(k, present) for k in keys]


def _faq_entry(row: dict[str, Any], path: str, line: int, stem: str) -> Document:
    if not isinstance(row, dict):
        raise DataFileError(path, line, "each FAQ entry must be an object with question and answer")
    row = dict(zip(_faq_fields(list(row)), row.values()))
    question = row.get("question")
    answer = row.get("answer")
    missing = [k for k, v in (("question", question), ("answer", answer)) if not isinstance(v, str) or not v.strip()]
    if missing or not isinstance(question, str) or not isinstance(answer, str):
        raise DataFileError(path, line, f"empty or missing {' and '.join(missing)}")
    raw_id = row.get("id")
    doc_id = _clean_id(raw_id, path, line) if raw_id not in (None, "") else f"{stem}-{slug(question)}"
    url = row.get("url")
    language = row.get("language")
    return Document(doc_id=doc_id, title=question.strip(), body=answer.strip(), kind="faq",
                    url=str(url).strip() if url else None, tags=_tags(row.get("tags"), path, line),
                    source=path, line=line, auto_id=raw_id in (None, ""),
                    language=language_code(language, path, line) if language not in (None, "") else None)


def parse_faq_csv(text: str, path: str, stem: str) -> list[Document]:
    """CSV with a header holding `question`, `answer` (or `Q`/`A`, `query`/`response`...) and optionally `url`, `id`,
    `tags`, `language` (an empty cell: the default language)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = _faq_fields(next(reader))
    except StopIteration:
        raise DataFileError(path, 1, "empty file: expected a header with question,answer") from None
    if not {"question", "answer"} <= set(header):
        raise DataFileError(path, 1, f"header must contain question and answer (found {header})")
    docs, errors = [], []
    line = reader.line_num + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            try:
                if len(record) != len(header):
                    raise DataFileError(path, line, f"expected {len(header)} fields, found {len(record)}")
                docs.append(_faq_entry(dict(zip(header, record)), path, line, stem))
            except DataFileError as exc:
                errors.append(exc)
        line = reader.line_num + 1
    if errors:
        raise DataFileErrors(errors)
    return _dedupe_slugs(docs)


def parse_faq_json(text: str, path: str, stem: str, lines: bool = False) -> list[Document]:
    """A JSON list of entries (or an object holding it: `{"faqs": [...]}`, `{"questions": [...]}`), or JSONL
    with one entry per line. Keys are case-insensitive, as FAQ exports write "Question"."""
    entries: list[tuple[int, Any]] = []
    if lines:
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw.strip():
                try:
                    entries.append((number, json.loads(raw)))
                except json.JSONDecodeError as exc:
                    raise DataFileError(path, number, f"bad JSON: {exc.msg}") from None
    else:
        entries = _json_entries(text, path)
    docs, errors = [], []
    for number, entry in entries:
        try:
            docs.append(_faq_entry(entry, path, number, stem))
        except DataFileError as exc:
            errors.append(exc)
    if errors:
        raise DataFileErrors(errors)
    return _dedupe_slugs(docs)


def _entries_key(whole: Any, path: str) -> str:
    """The key of the list of entries in an object: "faqs", or its only list (exports name it
    "questions", "items", "data"...)."""
    lists: list[str] = [key for key, value in whole.items() if isinstance(value, list)] if isinstance(whole, dict) else []
    if "faqs" in lists:
        return "faqs"
    if len(lists) == 1:
        return lists[0]
    found = f" (lists found: {', '.join(lists)})" if lists else ""
    raise DataFileError(path, 1, f'expected a list of {{"question", "answer"}} objects, or an object holding one such list{found}')


def _json_entries(text: str, path: str) -> list[tuple[int, Any]]:
    """Decode a JSON list element by element so each entry keeps its starting line."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(path, exc.lineno, f"bad JSON: {exc.msg}") from None
    if isinstance(whole, list):
        start = text.index("[")
    else:
        key = _entries_key(whole, path)
        found = re.search(rf'{re.escape(json.dumps(key))}\s*:\s*\[', text)
        if found is None:  # the key is written with escapes: line numbers cannot be kept, entries can
            return [(1, entry) for entry in whole[key]]
        start = found.end() - 1
    decoder, pos = json.JSONDecoder(), start + 1
    out: list[tuple[int, Any]] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return out
        obj, end = decoder.raw_decode(text, pos)
        out.append((text.count("\n", 0, pos) + 1, obj))
        pos = end


def _dedupe_slugs(docs: list[Document]) -> list[Document]:
    """Two questions with the same slug get -2, -3... in file order (explicit ids are left alone)."""
    counts: dict[str, int] = {}
    for doc in (d for d in docs if d.auto_id):
        n = counts.get(doc.doc_id, 0) + 1
        counts[doc.doc_id] = n
        if n > 1:
            doc.doc_id = f"{doc.doc_id}-{n}"
    return docs
