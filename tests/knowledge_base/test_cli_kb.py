"""`keepcart kb`: index, search, add, remove, evaluate through the real CLI; errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import kb as kb_cli
from cli.main import app


@pytest.fixture(autouse=True)
def shared_embedder(monkeypatch, embedder):
    """Hand the CLI the session's model instead of loading it again for every command."""
    monkeypatch.setattr(kb_cli, "_embedder", lambda model: embedder if "MiniLM" in model else _refuse(model))


def _refuse(model: str):
    raise kb_cli.fail(f"cannot load embedding model {model!r}")


def run(*args: str):
    return CliRunner().invoke(app, ["kb", *args])


def test_index_search_evaluate_add_remove(sources: Path, tmp_path: Path):
    out = tmp_path / "index"
    result = run("index", "--source", str(sources), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "indexed 4 documents" in result.output and (out / "manifest.json").exists()

    result = run("search", "how long does express delivery take", "--index", str(out), "-k", "2")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].startswith("1. ") and "delivery-times" in result.output.splitlines()[0]
    assert ("answer (" in result.output) or ("no answer" in result.output)

    queries = tmp_path / "q.csv"
    queries.write_text("query,doc_id\nhow fast is express shipping,delivery-times\ncan I return a gift card,returns\n"
                       "what is the capital of Peru,\n")
    report, preds = tmp_path / "r.json", tmp_path / "p.jsonl"
    result = run("evaluate", "--index", str(out), "--queries", str(queries), "--report", str(report),
                 "--predictions", str(preds), "--calibrate")
    assert result.exit_code == 0, result.output
    data = json.loads(report.read_text())
    assert data["recall_at_1"] == 1.0 and data["queries"] == 3 and data["unanswerable_abstained_rate"] == 1.0
    assert json.loads((out / "manifest.json").read_text())["threshold"] == data["threshold"]
    lines = [json.loads(line) for line in preds.read_text().splitlines()]
    assert lines[0]["gold"] == "delivery-times" and lines[0]["ranked"][0]["doc_id"] == "delivery-times"
    assert lines[2]["gold"] is None and lines[2]["answered"] is False

    extra = tmp_path / "klarna.md"
    extra.write_text("# Paying later with Klarna\n\nPay within 30 days with Klarna.\n")
    result = run("add", "--source", str(extra), "--index", str(out))
    assert result.exit_code == 0 and "5 documents" in result.output, result.output
    result = run("remove", "klarna", "00042", "--index", str(out))
    assert result.exit_code == 0 and "3 documents" in result.output, result.output
    result = run("remove", "klarna", "--index", str(out))
    assert result.exit_code == 1 and "no such document(s) in the index: klarna" in result.output


def test_bad_source_exits_1_naming_file_and_line(sources: Path, tmp_path: Path):
    (sources / "faq.csv").write_text("question,answer\nok,fine\nno answer,\n")
    result = run("index", "--source", str(sources), "--out", str(tmp_path / "i"))
    assert result.exit_code == 1
    assert "faq.csv:3: empty or missing answer" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "i").exists()


def test_missing_index_and_bad_queries_file_exit_1(sources: Path, tmp_path: Path):
    result = run("search", "hello", "--index", str(tmp_path / "none"))
    assert result.exit_code == 1 and "not a Keepcart artifact" in result.output
    out = tmp_path / "index"
    assert run("index", "--source", str(sources / "returns.md"), "--out", str(out)).exit_code == 0
    bad = tmp_path / "q.csv"
    bad.write_text("query,doc_id\nreturns?,unknown-id\n")
    result = run("evaluate", "--index", str(out), "--queries", str(bad), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1 and "q.csv:2: document id(s) not in the index: unknown-id" in result.output
    result = run("search", "hello", "--index", str(out), "--model", "other/model")
    assert result.exit_code == 1 and "cannot load embedding model 'other/model'" in result.output
