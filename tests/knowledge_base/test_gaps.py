"""Content gaps: unanswered questions grouped by meaning, re-checked against the index, via the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot import events as ev
from bot.events import Event
from bot.transcript import TranscriptStore
from cli import context
from cli import kb as kb_cli
from cli.main import app
from knowledge_base.gaps import find_gaps
from knowledge_base.index import KnowledgeBase

T0 = datetime(2026, 11, 1, tzinfo=UTC)
ASKED = [("Is there a student discount?", T0), ("is there a student discount", T0 + timedelta(days=2)),
         ("do you offer discounts for students", T0), ("is there a discount for students?", T0),
         ("Can I pick up my order in store?", T0 + timedelta(days=1)), ("How long does express delivery take?", T0), ("   ", T0)]


@pytest.fixture
def kb(sources: Path, embedder) -> KnowledgeBase:
    return KnowledgeBase.build([sources], embedder)


def test_paraphrases_group_and_questions_the_index_now_answers_come_last(kb: KnowledgeBase):
    gaps = find_gaps(kb, ASKED, similarity=0.75)
    assert [(g.question, g.asked, g.answered_now) for g in gaps] == [
        ("Is there a student discount?", 4, False), ("Can I pick up my order in store?", 1, False),
        ("How long does express delivery take?", 1, True)]
    students = gaps[0]
    assert students.wordings == ["do you offer discounts for students", "is there a discount for students?"]  # case/punctuation folded
    assert students.last_asked == T0 + timedelta(days=2)
    assert gaps[2].closest_doc == "delivery-times" and gaps[2].score >= kb.threshold > gaps[0].score
    assert find_gaps(kb, []) == []


@pytest.fixture
def data_dir(cli_data_dir: Path, monkeypatch: pytest.MonkeyPatch, embedder) -> Path:
    monkeypatch.setattr(kb_cli, "_embedder", lambda model: embedder)  # the session's model, not a second load
    return cli_data_dir


def test_kb_gaps_reads_missed_questions_from_the_transcripts(sources: Path, tmp_path: Path, data_dir: Path):
    runner = CliRunner()
    index = tmp_path / "index"
    assert runner.invoke(app, ["kb", "index", "--source", str(sources), "--out", str(index)]).exit_code == 0
    store = TranscriptStore(context.session_factory())
    for text in ("Is there a student discount?", "is there a student discount", "\x1b[31mCan I pick up my order in store?"):
        conversation = store.create(None)
        store.append(conversation.id, [Event(ev.USER_UTTERED, {"text": text}),
                                       Event(ev.KNOWLEDGE_MISSED, {"question": text, "intent": "faq", "index_id": "x"})])
    report = tmp_path / "gaps.json"
    result = runner.invoke(app, ["kb", "gaps", "--index", str(index), "--days", "7", "--report", str(report)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("3 unanswered question(s) in the last 7 days, 2 group(s), 2 still unanswered")
    assert "2x  answered now: no" in lines[1] and "'Is there a student discount?'" in lines[1]
    assert "\x1b" not in result.output and "\\x1b[31mCan I pick up my order in store?" in result.output  # a shopper's text cannot drive the terminal
    assert '"asked": 2' in report.read_text()
