"""`keepcart kb`: build, search, update and evaluate the help-centre index."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from cli.context import fail, run_or_fail, settings, write_report

app = typer.Typer(help="Help-centre knowledge base: index articles and FAQs, search them, measure answers.",
                  no_args_is_help=True)

IndexDir = Annotated[Path | None, typer.Option("--index", help="Index directory made by `keepcart kb index` (default: the one the server loads, <data_dir>/kb_index).")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="sentence-transformers model name or path. For an existing index the default is the model "
                    "it was built with; a different one is refused.")]


def _embedder(model: str):  # type: ignore[no-untyped-def]
    from knowledge_base.embedder import Embedder

    try:
        return Embedder(model, bulk_precision=settings().kb.bulk_precision)
    except OSError as exc:
        raise fail(f"cannot load embedding model {model!r}: {exc}") from None


def _open(index: Path | None, model: str | None):  # type: ignore[no-untyped-def]
    from common.artifacts import read_manifest

    if index is None or index == settings().kb_index_dir():
        index = settings().kb_index_dir()
        if not (index / "manifest.json").exists():
            raise fail(f"no help-centre index at {index} (the default): build one with `keepcart kb index` or `keepcart demo`, or pass --index")
    from knowledge_base.index import KIND, KnowledgeBase

    manifest = run_or_fail(read_manifest, index, KIND)
    return run_or_fail(KnowledgeBase.load, index, _embedder(model or manifest["embedding_model"]))


@app.command("index")
def index_cmd(
    source: Annotated[list[Path], typer.Option("--source", help="Markdown article, FAQ file (.csv/.json/.jsonl) or a folder of them; repeatable.")],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the index to (replaced once the new one is complete).")],
    model: Annotated[str | None, typer.Option("--model", help="Embedding model (default: the KEEPCART_KB__EMBEDDING_MODEL setting).")] = None,
    hnsw: Annotated[bool, typer.Option("--hnsw", help="Use an approximate HNSW index (for ~100k+ passages) instead of exact search.")] = False,
) -> None:
    """Read, chunk and embed the sources into a FAISS + BM25 index. Any bad file or row fails the build."""
    from knowledge_base.building import sources_hash
    from knowledge_base.index import KnowledgeBase

    embedder = _embedder(model or settings().kb.embedding_model)
    params = {"index_kind": "hnsw"} if hnsw else {}
    params["default_language"] = settings().kb.default_language  # of documents that name none
    start = time.perf_counter()
    kb = run_or_fail(KnowledgeBase.build, source, embedder, progress=True, **params)
    kb.data_hash_ = sources_hash(source, embedder.model_name, kb.params())
    manifest = kb.save(out)
    elapsed = time.perf_counter() - start
    passages = manifest["metrics"]["passages"]
    typer.echo(f"indexed {manifest['metrics']['documents']} documents as {passages} passages "
               f"({manifest['metrics']['index']}, {embedder.model_name}, {embedder.bulk_precision}) in {elapsed:.1f}s "
               f"= {passages / elapsed:.0f} passages/s -> {out}")
    typer.echo(f"index id {manifest['id']}, answer threshold {manifest['threshold']:.3f}")


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="The shopper's question.")],
    index: IndexDir = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=50, help="Documents to show.")] = 5,
    model: ModelOpt = None,
    language: Annotated[str | None, typer.Option("--language", help="The query's ISO 639-1 language: search the documents in it (when the index has some).")] = None,
) -> None:
    """Print the best passage of the k best documents with fused, dense and BM25 scores, then the answer."""
    kb = _open(index, model)
    hits = kb.search(query, k, language=language)
    for rank, hit in enumerate(hits, 1):
        where = f" › {hit.heading}" if hit.heading else ""
        lang = f" [{hit.language}]" if len(kb.languages) > 1 else ""  # a multilingual help centre
        typer.echo(f"{rank}. {hit.score:.3f} (dense {hit.dense:.3f}, bm25 {hit.lexical:.3f})  {hit.doc_id}{lang}  {hit.title}{where}")
    answer = kb.answer(query, k, language=language)
    if answer is None:
        typer.echo(f"\nno answer (best score {hits[0].score if hits else 0:.3f} < threshold {kb.threshold:.3f})")
    else:
        typer.echo(f"\nanswer ({answer.score:.3f} ≥ {kb.threshold:.3f}) from \"{answer.title}\" {answer.url or ''}\n{answer.text}")


@app.command("add")
def add_cmd(
    source: Annotated[list[Path], typer.Option("--source", help="Documents to add; an existing id is replaced. Repeatable.")],
    index: IndexDir = None,
    model: ModelOpt = None,
) -> None:
    """Add or update documents in an existing index without rebuilding it."""
    index = index or settings().kb_index_dir()
    kb = _open(index, model)
    ids = run_or_fail(kb.add_documents, source, progress=True)
    kb.save(index)
    typer.echo(f"added {len(ids)} document(s); index now holds {len(kb.documents_)} documents, "
               f"{len(kb.passages_)} passages (id {kb.index_id})")


@app.command("remove")
def remove_cmd(
    doc_ids: Annotated[list[str], typer.Argument(help="Document ids to remove, exactly as in the sources.")],
    index: IndexDir = None,
    model: ModelOpt = None,
) -> None:
    """Remove documents (and all their passages) from an existing index."""
    index = index or settings().kb_index_dir()
    kb = _open(index, model)
    run_or_fail(kb.remove_documents, doc_ids)
    kb.save(index)
    typer.echo(f"removed {len(doc_ids)} document(s); index now holds {len(kb.documents_)} documents, "
               f"{len(kb.passages_)} passages (id {kb.index_id})")


@app.command("evaluate")
def evaluate_cmd(
    queries: Annotated[Path, typer.Option("--queries", help="CSV query,doc_id; an empty doc_id means 'should not be answered'; a|b accepts either.")],
    report: Annotated[Path, typer.Option("--report", help="Where to write the JSON report.")],
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Also write one JSON line per query: query, gold, ranked ids with scores, answered.")] = None,
    calibrate: Annotated[bool, typer.Option("--calibrate", help="Refit the answer threshold on these queries and save it in the index manifest.")] = False,
    max_wrong_rate: Annotated[float, typer.Option("--max-wrong-rate", min=0.0, max=1.0, help="With --calibrate: the largest share of wrong answers among answers given.")] = 0.05,
    model: ModelOpt = None,
    index: IndexDir = None,
) -> None:
    """Recall@1/5, MRR@10, answered/abstained rates at the threshold and search latency on labelled queries."""
    from knowledge_base import evaluation as ev

    index = index or settings().kb_index_dir()
    kb = _open(index, model)
    labelled = run_or_fail(ev.read_queries, queries, set(kb.documents_))
    results = ev.run_queries(kb, labelled, progress=True)
    if calibrate:
        before = kb.threshold
        kb.set_threshold(ev.calibrate(results, max_wrong_rate),
                         {"queries": str(queries), "max_wrong_rate": max_wrong_rate, "previous": before})
        kb.save(index)
        typer.echo(f"threshold {before:.3f} -> {kb.threshold:.3f} (saved in {index / 'manifest.json'})")
    summary = ev.report(results, kb.threshold)
    summary["index_id"] = kb.index_id
    write_report(report, summary, predictions, ev.predictions(results, kb.threshold) if predictions else ())
    for key in ("queries", "recall_at_1", "recall_at_5", "mrr_at_10", "threshold", "answered_rate", "abstained_rate",
                "wrong_answer_rate", "unanswerable_abstained_rate"):
        value = summary[key]
        typer.echo(f"{key:28s} {value:.3f}" if isinstance(value, float) else f"{key:28s} {value}")
    typer.echo(f"{'latency_ms p50 / p99':28s} {summary['latency_ms']['p50']:.1f} / {summary['latency_ms']['p99']:.1f}")


@app.command("gaps")
def gaps_cmd(
    index: Annotated[Path | None, typer.Option("--index", help="Index to re-check the questions against (default: the one the server loads).")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=3650, help="Look at questions asked in the last N days.")] = 30,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Groups to print.")] = 20,
    similarity: Annotated[float, typer.Option("--similarity", min=0.5, max=1.0, help="Cosine from which two wordings count as one question (0.75: paraphrases such as 'student discount' / 'discounts for students' join, 'ship to Mars' / 'ship to Norway' do not).")] = 0.75,
    report: Annotated[Path | None, typer.Option("--report", help="Also write every group as JSON.")] = None,
) -> None:
    """Shoppers' policy questions the help centre could not answer, grouped by meaning, most asked first.

    Each group is asked again against the index, so after adding an article the groups it now
    answers show `answered now: yes`.
    """
    from datetime import timedelta

    from bot.events import KNOWLEDGE_MISSED
    from bot.transcript import TranscriptStore
    from cli.context import session_factory
    from common.db import utcnow
    from knowledge_base.gaps import find_gaps

    index = index or settings().kb_index_dir()
    kb = _open(index, None)
    since = utcnow() - timedelta(days=days)
    missed = TranscriptStore(session_factory()).events_of_type(KNOWLEDGE_MISSED, since)
    asked = [(str(e.payload.get("question", "")), e.created_at) for _, e in missed]
    gaps = find_gaps(kb, asked, similarity)
    open_gaps = sum(not g.answered_now for g in gaps)
    typer.echo(f"{len(asked)} unanswered question(s) in the last {days} days, {len(gaps)} group(s), "
               f"{open_gaps} still unanswered by index {kb.index_id} (threshold {kb.threshold:.3f})")
    for g in gaps[:limit]:
        more = f" (+{len(g.wordings)} other wording{'s' if len(g.wordings) != 1 else ''})" if g.wordings else ""
        closest = f"{g.closest_doc} {g.score:.3f}" if g.closest_doc else "-"
        typer.echo(f"{g.asked:5d}x  answered now: {'yes' if g.answered_now else 'no ':3s}  {g.question!r}{more}  closest: {closest}")
    if report is not None:
        write_report(report, {"since": since.isoformat(), "index_id": kb.index_id, "threshold": kb.threshold,
                              "questions": len(asked), "groups": [g.to_dict() for g in gaps]})
