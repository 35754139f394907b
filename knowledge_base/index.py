"""`KnowledgeBase`: passages, their dense vectors and BM25 counts, searched together.

Hybrid retrieval: FAISS gives dense candidates, BM25 gives lexical ones; each candidate's fused
score is `(1 - w) * cosine + w * normalised BM25`. Both parts have an absolute scale, so one
threshold (calibrated on evaluation data, kept in the manifest) separates answers from "no answer".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from common.artifacts import new_artifact_id, read_manifest, staged, write_manifest
from common.errors import InvalidInput, NotFound
from common.pretrained import PACKAGED
from common.text import split_words
from knowledge_base.answers import Answer, Hit, trim_for_chat
from knowledge_base.bm25 import BM25
from knowledge_base.chunking import Passage, chunk_document
from knowledge_base.documents import Document, language_code, load_documents
from knowledge_base.embedder import Embedder
from knowledge_base.vector_index import FLAT, HNSW, VectorIndex

KIND = "kb_index"
FUSIONS = ("weighted", "rrf", "dense", "bm25")
HNSW_FROM = 100_000  # passages from which "auto" picks HNSW
# Passages are embedded with at most 128 word pieces, the length all-MiniLM-L6-v2 was trained on.
# With batches of 16 it indexes 1.56x faster than 256 pieces in batches of 32, with the same Bitext
# recall (docs/knowledge_base.md). Queries are far shorter, so they are never cut.
MAX_SEQ_LENGTH = 128
DEFAULT_THRESHOLD = 0.468  # calibrated by benchmarks/kb_bitext.py (docs/knowledge_base.md); `kb evaluate --calibrate` refits


def canonical_model(name: str) -> str:
    """The packaged MiniLM answers to two names; record one so they compare equal."""
    return "sentence-transformers/all-MiniLM-L6-v2" if name in PACKAGED else name


class KnowledgeBase:
    """A searchable help centre. Hyper-parameters here; learned state (passages, indexes) ends with `_`."""

    def __init__(self, embedder: Embedder, index_kind: str = "auto", max_words: int = 150,
                 title_passages: bool = True, fusion: str = "weighted", lexical_weight: float = 0.1,
                 candidates: int = 50, threshold: float = DEFAULT_THRESHOLD, batch_size: int = 16,
                 second_passage_weight: float = 0.3, max_seq_length: int | None = MAX_SEQ_LENGTH,
                 default_language: str = "en") -> None:
        if fusion not in FUSIONS:
            raise InvalidInput(f"unknown fusion {fusion!r}; choose one of {FUSIONS}")
        if max_seq_length is not None and int(max_seq_length) < 8:
            raise InvalidInput(f"max_seq_length must be at least 8 word pieces (or None), got {max_seq_length}")
        if index_kind not in ("auto", FLAT, HNSW):
            raise InvalidInput(f"unknown index kind {index_kind!r}; choose auto, flat or hnsw")
        self.embedder = embedder
        self.index_kind, self.max_words, self.title_passages = index_kind, max_words, title_passages
        self.fusion, self.lexical_weight, self.candidates = fusion, lexical_weight, candidates
        self.threshold, self.batch_size = threshold, batch_size
        self.second_passage_weight = second_passage_weight
        self.max_seq_length = max_seq_length
        self.default_language = language_code(default_language, "default_language", None)
        self.documents_: dict[str, dict[str, Any]] = {}
        self.passages_: list[Passage] = []
        self.vector_ids_: list[int] = []
        self.next_id_ = 0
        self.vectors_: VectorIndex | None = None
        self.bm25_ = BM25()
        self.index_id_ = new_artifact_id(KIND)
        self.data_hash_: str | None = None
        self.calibration_: dict[str, Any] | None = None
        self._rows: dict[int, int] = {}
        self._lead: dict[str, int] = {}
        self._sections: dict[str, list[int]] = {}
        self._languages: dict[str, list[int]] = {}

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, sources: list[Path], embedder: Embedder, progress: bool = False, **params: Any) -> KnowledgeBase:
        """Read, chunk, embed and index every source; any bad file fails the whole build."""
        kb = cls(embedder, **params)
        kb._add(load_documents(list(sources), kb.default_language), progress)
        return kb

    def params(self) -> dict[str, Any]:
        return {"index_kind": self.index_kind, "max_words": self.max_words, "title_passages": self.title_passages,
                "fusion": self.fusion, "lexical_weight": self.lexical_weight, "candidates": self.candidates,
                "batch_size": self.batch_size, "second_passage_weight": self.second_passage_weight,
                "max_seq_length": self.max_seq_length, "default_language": self.default_language}

    def _add(self, docs: list[Document], progress: bool) -> None:
        passages = [p for d in docs for p in chunk_document(d, self.max_words, self.title_passages)]
        texts = [p.indexed for p in passages]
        # One length order over all passages (sentence-transformers sorts only within each call), so
        # every progress chunk and batch holds passages of similar length and pads little.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        vectors = np.zeros((len(texts), self.embedder.dimension), np.float32)
        with tqdm(total=len(texts), desc="embedding passages", unit="passage", disable=not progress) as bar:
            for start in range(0, len(texts), 256):
                rows = order[start:start + 256]
                vectors[rows] = self.embedder.encode([texts[i] for i in rows], batch_size=self.batch_size,
                                                     max_seq_length=self.max_seq_length)
                bar.update(len(rows))
        if self.vectors_ is None:
            kind = self.index_kind if self.index_kind != "auto" else (HNSW if len(passages) >= HNSW_FROM else FLAT)
            self.vectors_ = VectorIndex(self.embedder.dimension, kind)
        ids = np.arange(self.next_id_, self.next_id_ + len(passages), dtype=np.int64)
        self.vectors_.add(vectors, ids)
        self.next_id_ += len(passages)
        self.bm25_.add([p.indexed for p in passages])
        for doc in docs:
            self.documents_[doc.doc_id] = doc.to_dict()
        self.passages_.extend(passages)
        self.vector_ids_.extend(int(i) for i in ids)
        self._reindex()

    def _reindex(self) -> None:
        self._rows = {vid: row for row, vid in enumerate(self.vector_ids_)}
        self._lead = {}  # each document's first section: its overview
        self._sections = {}  # each document's sections, in order
        for row, passage in enumerate(self.passages_):
            if passage.kind == "section":
                self._lead.setdefault(passage.doc_id, row)
                self._sections.setdefault(passage.doc_id, []).append(row)
        self._languages = {}  # rows of each language, to search one language of a multilingual help centre
        for row, passage in enumerate(self.passages_):
            self._languages.setdefault(passage.language, []).append(row)

    def add_documents(self, paths: list[Path], progress: bool = False) -> list[str]:
        """Index new documents; one with an existing id replaces the old version. Returns their ids."""
        docs = load_documents(list(paths), self.default_language)
        replaced = [d.doc_id for d in docs if d.doc_id in self.documents_]
        if replaced:
            self.remove_documents(replaced)
        self._add(docs, progress)
        self._changed()
        return [d.doc_id for d in docs]

    def remove_documents(self, doc_ids: list[str]) -> None:
        """Drop documents and their passages; unknown ids fail before anything changes."""
        unknown = [d for d in doc_ids if d not in self.documents_]
        if unknown:
            raise NotFound(f"no such document(s) in the index: {', '.join(unknown)}")
        gone = set(doc_ids)
        rows = [r for r, p in enumerate(self.passages_) if p.doc_id in gone]
        assert self.vectors_ is not None
        self.vectors_.remove([self.vector_ids_[r] for r in rows])
        self.bm25_.remove(rows)
        keep = [r for r in range(len(self.passages_)) if self.passages_[r].doc_id not in gone]
        self.passages_ = [self.passages_[r] for r in keep]
        self.vector_ids_ = [self.vector_ids_[r] for r in keep]
        for doc_id in gone:
            del self.documents_[doc_id]
        self._reindex()
        self._changed()

    def set_threshold(self, threshold: float, calibration: dict[str, Any] | None = None) -> None:
        """A new answer threshold changes behaviour, so the index gets a new id (sources unchanged)."""
        self.threshold, self.calibration_ = float(threshold), calibration
        self.index_id_ = new_artifact_id(KIND)

    def _changed(self) -> None:
        self.index_id_ = new_artifact_id(KIND)
        self.data_hash_ = None  # no longer the build of a known set of sources

    # -- searching ------------------------------------------------------------------
    @property
    def index_id(self) -> str:
        """The manifest id: transcript events record it to say which index answered."""
        return self.index_id_

    @property
    def languages(self) -> list[str]:
        """The languages of the indexed passages."""
        return sorted(self._languages)

    def search(self, query: str, k: int = 5, fusion: str | None = None,
               query_vector: np.ndarray | None = None, language: str | None = None) -> list[Hit]:
        """The best passage of each of the `k` best documents, best first.

        `fusion` overrides the index's fusion (for baselines); `query_vector` skips embedding when a
        caller has already embedded a batch of queries. `language` (ISO 639-1, the detected language
        of the query) searches only the passages in that language when the help centre has some and
        also has others; else every passage, so an English-only help centre still answers.
        """
        fusion = fusion or self.fusion
        if fusion not in FUSIONS:
            raise InvalidInput(f"unknown fusion {fusion!r}; choose one of {FUSIONS}")
        if not query.strip() or not self.passages_ or self.vectors_ is None:
            return []
        qvec = self.embedder.encode([query])[0] if query_vector is None else np.asarray(query_vector, np.float32)
        n = min(max(self.candidates, k * 4), len(self.passages_))
        only = self._languages.get(language or "") if len(self._languages) > 1 else None
        allowed = None if only is None else np.asarray([self.vector_ids_[r] for r in only], dtype=np.int64)
        dense_scores, dense_ids = self.vectors_.search(qvec[None, :], n, allowed=allowed)
        rows = [self._rows[int(i)] for i in dense_ids[0] if int(i) in self._rows]
        dense = {row: float(s) for row, s in zip(rows, dense_scores[0])}
        raw, lexical = self.bm25_.scores(query)
        if only is not None and lexical.any():
            keep = np.zeros(len(raw), dtype=bool)
            keep[only] = True
            raw, lexical = np.where(keep, raw, 0).astype(np.float32), np.where(keep, lexical, 0).astype(np.float32)
        if fusion != "dense" and lexical.any():
            best_rows = np.argpartition(-raw, min(n, len(raw)) - 1)[:n]
            missing = [int(r) for r in best_rows if raw[r] > 0 and int(r) not in dense]
            if missing:
                vecs = self.vectors_.vectors(np.asarray([self.vector_ids_[r] for r in missing]))
                dense.update(zip(missing, (vecs @ qvec).tolist()))
        cand = np.fromiter(dense, dtype=np.int64)
        d = np.fromiter(dense.values(), dtype=np.float32)
        lex = lexical[cand]
        fused: np.ndarray
        if fusion == "dense":
            fused = d
        elif fusion == "bm25":
            fused = lex
        elif fusion == "rrf":
            fused = 1 / (60 + _ranks(d)) + 1 / (60 + _ranks(lex))
        else:
            fused = (1 - self.lexical_weight) * d + self.lexical_weight * lex
        # A document scores (best + w * second-best passage) / (1 + w): an article matching in its
        # title and a section beats one matching by a single phrase (+1.7 pt recall@1 on the Bitext
        # dev half). What is shown is its best passage when that is a section; when the title or one
        # of its questions matched best, the question is about the article as a whole, so its first
        # section (the overview) answers it: "do you ship to Norway" matching the title of
        # "International shipping" shows "Deliveries to ... Norway ...", not its section on returns.
        top: dict[str, list[int]] = {}
        for i in np.argsort(-fused, kind="stable"):
            doc_id = self.passages_[cand[i]].doc_id
            if len(top.setdefault(doc_id, [])) < 2:
                top[doc_id].append(int(i))
        w = self.second_passage_weight
        doc_scores = {doc: (fused[ix[0]] + w * fused[ix[-1]]) / (1 + w) for doc, ix in top.items()}
        ranked = sorted(doc_scores, key=lambda doc: -doc_scores[doc])[:k]
        hits = []
        named = self._sections_named(query, ranked)
        ranked = self._dedicated_article(query, ranked, doc_scores, named)
        for doc_id in ranked:
            i = top[doc_id][0]
            best = int(cand[i])
            shown = best if self.passages_[best].kind == "section" else self._closest_section(doc_id, qvec, best)
            row, part = named.get(doc_id, (shown, None))
            p = self.passages_[row]
            hits.append(Hit(p.doc_id, p.passage_id, p.title, p.url, part or p.heading, _subsection(p.text, part),
                            float(doc_scores[doc_id]), float(d[i]), float(lex[i]), p.language))
        return hits

    def _closest_section(self, doc_id: str, qvec: np.ndarray, best: int) -> int:
        """The overview, unless one section is clearly closer in meaning to the question.

        A title or FAQ question of the article matched best, so the question is about the article as
        a whole and its overview answers it ("do you ship to Norway" -> the international-shipping
        overview) — except when a section is clearly nearer ("do you ship to the USA?" -> the section
        on the countries delivered to, not the overview of shipping methods).
        """
        lead = self._lead.get(doc_id, best)
        rows = self._sections.get(doc_id, [])
        if len(rows) < 2:
            return lead
        assert self.vectors_ is not None  # search() returns before this without vectors
        scores = self.vectors_.vectors(np.asarray([self.vector_ids_[r] for r in rows])) @ qvec
        top = int(np.argmax(scores))
        lead_score = float(scores[rows.index(lead)]) if lead in rows else float("-inf")
        return rows[top] if float(scores[top]) >= lead_score + SECTION_MARGIN else lead

    def _sections_named(self, query: str, docs: list[str]) -> dict[str, tuple[int, str | None]]:
        """Sections whose heading the query spells out ("my card was charged twice" -> "Charged twice").

        The heading is the article's own label for the answer: when the words that set it apart
        from its sibling headings and the article's title are all in the question, that section
        answers better than the overview or a section that merely shares vocabulary ("unsubscribe me
        from your newsletter" -> "Unsubscribe", not "Subscribe"; "how much is express shipping" ->
        "Express delivery" of the delivery options, whose every heading says "delivery"). Short
        sections are chunked together ("Card declined · … · Charged twice"): then the named
        sub-heading is returned too, so only its part of the passage is shown.
        """
        asked = {_stem(w) for w in _words(query)}
        named: dict[str, tuple[int, str | None]] = {}
        for doc_id in docs:
            rows = self._sections.get(doc_id, [])
            headings = [(row, part) for row in rows for part in self.passages_[row].heading.split(" · ")]
            title = self.passages_[rows[0]].title if rows else ""
            for row, part in headings:
                # a heading that only repeats the title's words names nothing the title doesn't ("How
                # to pay" under "Paying later with Klarna" for "can I pay by invoice?")
                whole = _distinctive(part, [title])
                apart = _distinctive(part, [h for _, h in headings if h != part] + [title])
                if (whole and whole <= asked) or (apart and apart <= asked):
                    multi = " · " in self.passages_[row].heading
                    named[doc_id] = (row, part if multi else None)
                    break
        return named

    def _dedicated_article(self, query: str, ranked: list[str], scores: dict[str, float],
                           named: dict[str, tuple[int, str | None]]) -> list[str]:
        """Put first a close runner-up whose whole article is about what the query names in the leader.

        "How much does express shipping cost" matches the delivery-options overview best, through its
        "Express delivery" paragraph; the help centre also has an article titled "Express delivery",
        which is the better answer and the one to cite.
        """
        if len(ranked) < 2 or ranked[0] not in named or named[ranked[0]][1] is None:
            return ranked
        row, part = named[ranked[0]]
        leader = self.passages_[row]
        siblings = [h for h in leader.heading.split(" · ") if h != part] + [leader.title]
        topic = _distinctive(str(part), siblings)
        for doc_id in ranked[1:]:
            if scores[ranked[0]] - scores[doc_id] > DEDICATED_MARGIN:
                break
            rows = self._sections.get(doc_id, [])
            if rows and topic and topic <= {_stem(w) for w in _words(self.passages_[rows[0]].title)}:
                return [doc_id] + [d for d in ranked if d != doc_id]
        return ranked

    def answer(self, query: str, k: int = 5, language: str | None = None, lenient: bool = False) -> Answer | None:
        """The best passage when its score clears the calibrated threshold, else None (clarify or hand off).
        `language`: the query's detected language, to answer from articles in it (see `search`).
        `lenient`: the caller knows the query is a help-centre question (the NLU is sure of a policy
        intent), so a passage a little under the threshold is likelier right than "I'm not sure"."""
        hits = self.search(query, k, language=language)
        bar = self.threshold * (LENIENT_SHARE if lenient else 1.0)
        if not hits or hits[0].score < bar:
            return None
        top = hits[0]
        return Answer(trim_for_chat(top.text), top.title, top.url, top.doc_id, top.score, hits, top.language)

    # -- persistence ---------------------------------------------------------------
    def save(self, directory: Path) -> dict[str, Any]:
        """Write the index directory (replacing an old one only once the new one is complete)."""
        with staged(Path(directory)) as staging:
            assert self.vectors_ is not None, "nothing indexed"
            self.vectors_.save(staging)
            self.bm25_.save(staging)
            (staging / "passages.json").write_text(json.dumps({
                "documents": self.documents_, "passages": [p.to_dict() for p in self.passages_],
                "vector_ids": self.vector_ids_, "next_id": self.next_id_}, ensure_ascii=False))
            return write_manifest(
                staging, KIND, id=self.index_id_, data_hash=self.data_hash_,
                embedding_model=canonical_model(self.embedder.model_name), dimension=self.embedder.dimension,
                embedding_precision=self.embedder.bulk_precision,
                params=self.params(), threshold=self.threshold, calibration=self.calibration_,
                metrics={"documents": len(self.documents_), "passages": len(self.passages_), "index": self.vectors_.kind})

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> KnowledgeBase:
        """Open a saved index; refuses one built with another embedding model."""
        directory = Path(directory)
        manifest = read_manifest(directory, KIND)
        built_with = manifest.get("embedding_model")
        if built_with != canonical_model(embedder.model_name):
            raise InvalidInput(f"{directory}: index built with embedding model {built_with!r}, refusing to "
                               f"load it with {embedder.model_name!r}; rebuild it with `keepcart kb index`")
        # Indexes saved before `max_seq_length` was a parameter embedded with the model's own limit.
        kb = cls(embedder, threshold=float(manifest["threshold"]), **{"max_seq_length": None, **manifest["params"]})
        stored = json.loads((directory / "passages.json").read_text())
        kb.documents_ = stored["documents"]
        kb.passages_ = [Passage.from_dict(p) for p in stored["passages"]]
        kb.vector_ids_ = [int(i) for i in stored["vector_ids"]]
        kb.next_id_ = int(stored["next_id"])
        kb.vectors_ = VectorIndex.load(directory)
        kb.bm25_ = BM25.load(directory)
        kb.index_id_, kb.data_hash_ = manifest["id"], manifest.get("data_hash")
        kb.calibration_ = manifest.get("calibration")
        if kb.vectors_.size != len(kb.passages_) or kb.bm25_.size != len(kb.passages_):
            raise InvalidInput(f"{directory}: index files disagree on the number of passages; rebuild it")
        kb._reindex()
        return kb


LENIENT_SHARE = 0.85  # of the threshold, for a query known to be a help-centre question
SECTION_MARGIN = 0.05  # cosine a section must beat the overview by to be shown instead
DEDICATED_MARGIN = 0.1  # how far behind the leader an article about the named topic may score and still go first
HEADING_FILLER = frozenset("a an the and or of to for your my you i is are was were be been with in on at by what how do does did can if".split())


def _words(text: str) -> list[str]:
    """Lower-case words, negations spelt out: "doesn't work" names the heading "My voucher does not work"."""
    text = text.lower().replace("\u2019", "'").replace("can't", "can not").replace("won't", "will not")
    return split_words(text.replace("n't", " not"))


def _distinctive(heading: str, others: list[str]) -> set[str]:
    """The content words of a heading that none of `others` (sibling headings, the title) has."""
    common = {_stem(w) for other in others for w in _words(other)}
    return {_stem(w) for w in _words(heading)} - HEADING_FILLER - common


def _subsection(text: str, heading: str | None) -> str:
    """The part of a chunked passage under "**heading**", up to the next bold sub-heading."""
    marker = f"**{heading}**" if heading else ""
    start = text.find(marker) if marker else -1
    if start < 0:
        return text
    body = text[start + len(marker):]
    end = body.find("\n**")
    body = (body[:end] if end >= 0 else body).strip()
    return f"{marker}\n{body}" if body else text


def _stem(word: str) -> str:
    """Enough to match a heading's word to the question's: charged/charges/charge, emails/email, paying/pay."""
    for suffix, keep in (("ing", 3), ("ed", 4), ("es", 4), ("s", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep:
            return word[: -len(suffix)]
    return word


def _ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score (1 = highest)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks
