"""Training data: our annotated YAML, CSV `text,intent` and JSONL, validated with file and line.

Every error names the file and line so a shop can fix its data in one pass; all errors of all
files are gathered before raising `DataFileErrors`.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from common.errors import DataFileError, DataFileErrors

INLINE_SPAN = re.compile(r"\[([^\[\]]+)\]\(([^()\s]*)\)")
ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SUFFIXES = {".yml": "yaml", ".yaml": "yaml", ".csv": "csv", ".jsonl": "jsonl"}


@dataclass(frozen=True)
class Span:
    """A gold entity: `text[start:end]` is of type `entity`."""

    start: int
    end: int
    entity: str


@dataclass(frozen=True)
class Example:
    """One annotated message; `source` is `file:line` for error messages and reports."""

    text: str
    intent: str
    entities: tuple[Span, ...] = ()
    source: str = ""


@dataclass
class _Collector:
    errors: list[DataFileError] = field(default_factory=list)

    def add(self, path: Path, line: int | None, message: str) -> None:
        self.errors.append(DataFileError(str(path), line, message))


def parse_inline(annotated: str) -> tuple[str, list[Span]]:
    """`where is [1004829371](order_id)` -> ("where is 1004829371", [Span(9, 19, "order_id")])."""
    parts: list[str] = []
    spans: list[Span] = []
    cursor, length = 0, 0
    for match in INLINE_SPAN.finditer(annotated):
        before = annotated[cursor:match.start()]
        parts.append(before)
        length += len(before)
        value, entity = match.group(1), match.group(2)
        spans.append(Span(length, length + len(value), entity))
        parts.append(value)
        length += len(value)
        cursor = match.end()
    parts.append(annotated[cursor:])
    return "".join(parts), spans


def _check_example(text: str, intent: str, spans: list[Span], known: set[str] | None,
                   path: Path, line: int, out: _Collector) -> bool:
    ok = True
    if not text.strip():
        out.add(path, line, "empty text")
        ok = False
    if not intent.strip():
        out.add(path, line, "empty intent")
        ok = False
    for span in spans:
        if not span.entity or not ENTITY_NAME.match(span.entity):
            out.add(path, line, f"bad entity name {span.entity!r} (use lower_snake_case)")
            ok = False
        elif known is not None and span.entity not in known:
            out.add(path, line, f"unknown entity {span.entity!r} (declared: {', '.join(sorted(known))})")
            ok = False
        if not (0 <= span.start < span.end <= len(text)):
            out.add(path, line, f"span {span.start}-{span.end} ({span.entity}) outside the text of length {len(text)}")
            ok = False
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            out.add(path, line, f"overlapping spans {a.start}-{a.end} ({a.entity}) and {b.start}-{b.end} ({b.entity})")
            ok = False
    return ok


def _load_yaml(path: Path, out: _Collector) -> list[Example]:
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        out.add(path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}")
        return []
    if not isinstance(root, yaml.MappingNode):
        out.add(path, 1, "expected a mapping with keys version, entities, intents")
        return []
    top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    version = top.get("version")
    if version is None or not isinstance(version, yaml.ScalarNode) or version.value != "1":
        out.add(path, (version.start_mark.line + 1) if version else 1, "missing or unsupported `version` (expected 1)")
    known: set[str] = set()
    ents = top.get("entities")
    if ents is not None:
        if not isinstance(ents, yaml.SequenceNode):
            out.add(path, ents.start_mark.line + 1, "`entities` must be a list of entity names")
        else:
            for node in ents.value:
                if not isinstance(node, yaml.ScalarNode) or not ENTITY_NAME.match(node.value):
                    out.add(path, node.start_mark.line + 1, f"bad entity name in `entities`: {getattr(node, 'value', node)!r}")
                else:
                    known.add(node.value)
    intents = top.get("intents")
    if not isinstance(intents, yaml.MappingNode):
        out.add(path, (intents.start_mark.line + 1) if intents else 1, "missing `intents` mapping (intent name -> list of examples)")
        return []
    examples: list[Example] = []
    for key, value in intents.value:
        line = key.start_mark.line + 1
        intent = str(key.value).strip() if isinstance(key, yaml.ScalarNode) else ""
        if not intent:
            out.add(path, line, "empty intent")
            continue
        if not isinstance(value, yaml.SequenceNode) or not value.value:
            out.add(path, line, f"intent {intent!r} needs a non-empty list of examples")
            continue
        for node in value.value:
            eline = node.start_mark.line + 1
            if not isinstance(node, yaml.ScalarNode):
                out.add(path, eline, "an example must be a single string")
                continue
            text, spans = parse_inline(node.value)
            if "[" in text and "](" in node.value and not spans:
                out.add(path, eline, "malformed inline entity (write [text](entity))")
                continue
            if _check_example(text, intent, spans, known, path, eline, out):
                examples.append(Example(text, intent, tuple(spans), f"{path}:{eline}"))
    return examples


def _load_csv(path: Path, out: _Collector) -> list[Example]:
    examples: list[Example] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"text", "intent"} - set(reader.fieldnames or [])
        if missing:
            out.add(path, 1, f"missing column(s) {', '.join(sorted(missing))} (need text,intent)")
            return []
        for row in reader:
            line = reader.line_num
            text, intent = (row.get("text") or ""), (row.get("intent") or "").strip()
            if _check_example(text, intent, [], None, path, line, out):
                examples.append(Example(text, intent, (), f"{path}:{line}"))
    return examples


def _load_jsonl(path: Path, out: _Collector) -> list[Example]:
    examples: list[Example] = []
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            out.add(path, line, f"not valid JSON: {exc.msg}")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not isinstance(row.get("intent"), str):
            out.add(path, line, 'expected {"text": str, "intent": str, "entities": [...]}')
            continue
        spans: list[Span] = []
        bad = False
        for ent in row.get("entities") or []:
            try:
                spans.append(Span(int(ent["start"]), int(ent["end"]), str(ent["entity"])))
            except (KeyError, TypeError, ValueError):
                out.add(path, line, f"bad entity {ent!r} (need start, end, entity)")
                bad = True
        if not bad and _check_example(row["text"], row["intent"].strip(), spans, None, path, line, out):
            examples.append(Example(row["text"], row["intent"].strip(), tuple(spans), f"{path}:{line}"))
    return examples


def _key(text: str) -> str:
    return " ".join(text.lower().split())


def load_examples(paths: list[Path] | list[str]) -> list[Example]:
    """Read and validate training files; raise `DataFileErrors` listing every problem.

    Exact duplicates are kept once; the same text under two intents is an error naming both places.
    """
    out = _Collector()
    examples: list[Example] = []
    for raw in paths:
        path = Path(raw)
        kind = SUFFIXES.get(path.suffix.lower())
        if not path.is_file():
            out.add(path, None, "no such file")
        elif kind is None:
            out.add(path, None, f"unknown file type {path.suffix!r} (use .yml/.yaml, .csv or .jsonl)")
        else:
            try:
                loader = {"yaml": _load_yaml, "csv": _load_csv, "jsonl": _load_jsonl}[kind]
                examples.extend(loader(path, out))
            except UnicodeDecodeError:
                out.add(path, None, "not UTF-8 text")
    seen: dict[str, Example] = {}
    unique: list[Example] = []
    for ex in examples:
        first = seen.get(_key(ex.text))
        if first is None:
            seen[_key(ex.text)] = ex
            unique.append(ex)
        elif first.intent != ex.intent:
            source, _, line = ex.source.rpartition(":")
            out.add(Path(source), int(line), f"duplicate text {ex.text!r} with intent {ex.intent!r}; "
                    f"{first.source} gives it intent {first.intent!r}")
    if out.errors:
        raise DataFileErrors(out.errors)
    if not unique:
        raise DataFileErrors([DataFileError(", ".join(str(p) for p in paths), None, "no training examples")])
    return unique


def write_jsonl(examples: list[Example], path: Path) -> None:
    """Write examples in the JSONL training format (used by benchmarks and exports)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for ex in examples:
            ents = [{"start": s.start, "end": s.end, "entity": s.entity} for s in ex.entities]
            handle.write(json.dumps({"text": ex.text, "intent": ex.intent, "entities": ents}, ensure_ascii=False) + "\n")


DATA_DIR = Path(__file__).resolve().parent / "data"


def default_training_files() -> list[Path]:
    """The shipped demo-shop training data (`bot/nlu/data/*.yml`), what `keepcart demo` trains on."""
    return sorted(DATA_DIR.glob("*.yml"))
