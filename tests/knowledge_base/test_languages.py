"""Help centres in several languages: each document carries one, the index searches the query's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from common.errors import DataFileErrors
from knowledge_base.chunking import Passage
from knowledge_base.documents import load_documents
from knowledge_base.index import KnowledgeBase
from knowledge_base.vector_index import FLAT, HNSW, VectorIndex

VERSAND = """---
id: versand
url: https://help.example/de/versand
language: de
---
# Versand und Lieferzeiten

Die Standardlieferung dauert 3-5 Werktage und kostet 4,95 Euro, ab 50 Euro ist sie kostenlos.

## Express

Expresslieferungen kommen in 1-2 Werktagen und kosten 9,95 Euro.
"""

SHIPPING = """# Delivery times

Standard delivery takes 3-5 business days and costs 4.95 euros, free over 50 euros.

## Express

Express delivery arrives in 1-2 business days for 9.95 euros.
"""

RETURNS_DE = """---
language: de-AT
---
# Rücksendungen

Sie können die meisten Artikel innerhalb von 30 Tagen zurückschicken.
"""


@pytest.fixture
def bilingual(tmp_path: Path) -> Path:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "versand.md").write_text(VERSAND)
    (folder / "shipping.md").write_text(SHIPPING)
    (folder / "ruecksendung.md").write_text(RETURNS_DE)
    (folder / "faq.csv").write_text('question,answer,language\n"Liefert ihr nach Kanada?","Nein, nur innerhalb Europas.",de\n'
                                    '"Do you ship to Canada?","No, only within Europe.",\n')
    return folder


def test_documents_carry_their_language_or_the_default(bilingual: Path):
    docs = {d.doc_id: d for d in load_documents([bilingual])}
    assert docs["versand"].language == "de"
    assert docs["ruecksendung"].language == "de"  # de-AT: the region is dropped
    assert docs["shipping"].language == "en"  # no front matter: the default
    assert docs["faq-liefert-ihr-nach-kanada"].language == "de"
    assert docs["faq-do-you-ship-to-canada"].language == "en"  # empty cell: the default
    assert {d.language for d in load_documents([bilingual / "shipping.md"], default_language="nl")} == {"nl"}
    assert docs["versand"].to_dict()["language"] == "de"


def test_faq_json_takes_a_language_key_in_any_case(tmp_path: Path):
    path = tmp_path / "faq.json"
    path.write_text(json.dumps([{"Question": "Puis-je payer par carte ?", "Answer": "Oui.", "Lang": "FR"}]))
    assert load_documents([path])[0].language == "fr"


def test_a_bad_language_names_file_and_line(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\nid: a\nlanguage: German\n---\n# Title\n\nText.\n")
    (tmp_path / "faq.csv").write_text("question,answer,language\nQ1,A1,en\nQ2,A2,deutsch\n")
    with pytest.raises(DataFileErrors) as info:
        load_documents([tmp_path])
    text = str(info.value)
    assert f"{tmp_path / 'a.md'}:3: bad language 'German'" in text
    assert f"{tmp_path / 'faq.csv'}:3: bad language 'deutsch'" in text


@pytest.mark.parametrize("kind", [FLAT, HNSW])
def test_vector_search_can_be_limited_to_some_ids(kind: str):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(8, kind)
    index.add(vectors, np.arange(100, 150))
    allowed = np.asarray([101, 120, 149])
    scores, ids = index.search(vectors[:1], 3, allowed=allowed)
    assert set(ids[0][ids[0] >= 0]) <= set(allowed.tolist())
    assert ids[0][0] in allowed  # the best allowed one is found even though id 100 scores higher
    assert index.search(vectors[:1], 1)[1][0][0] == 100


def test_search_in_the_querys_language(bilingual: Path, embedder, tmp_path: Path):
    kb = KnowledgeBase.build([bilingual], embedder)
    assert kb.languages == ["de", "en"]
    german = kb.search("Wie lange dauert der Versand?", k=5, language="de")
    assert german and {h.language for h in german} == {"de"}
    assert german[0].doc_id == "versand"
    english = kb.search("How long does delivery take?", k=5, language="en")
    assert {h.language for h in english} == {"en"} and english[0].doc_id == "shipping"
    both = kb.search("How long does delivery take?", k=5)
    assert {h.language for h in both} == {"de", "en"}
    # A language the help centre does not have: every passage, rather than no answer at all.
    assert {h.doc_id for h in kb.search("How long does delivery take?", k=5, language="fr")} == {h.doc_id for h in both}
    answer = kb.answer("Versand und Lieferzeiten", language="de")
    assert answer is not None and answer.language == "de" and answer.url == "https://help.example/de/versand"
    kb.save(tmp_path / "idx")
    loaded = KnowledgeBase.load(tmp_path / "idx", embedder)
    assert loaded.default_language == "en" and loaded.languages == ["de", "en"]
    assert [h.doc_id for h in loaded.search("Wie lange dauert der Versand?", language="de")] == [h.doc_id for h in german]


def test_a_one_language_help_centre_answers_every_language(bilingual: Path, embedder):
    kb = KnowledgeBase.build([bilingual / "shipping.md"], embedder, default_language="en")
    hits = kb.search("Wie lange dauert die Lieferung?", language="de")
    assert [h.doc_id for h in hits] == ["shipping"]


def test_the_default_language_is_a_build_parameter(bilingual: Path, embedder):
    kb = KnowledgeBase.build([bilingual / "shipping.md"], embedder, default_language="nl")
    assert kb.params()["default_language"] == "nl" and kb.languages == ["nl"]
    with pytest.raises(Exception, match="bad language"):
        KnowledgeBase(embedder, default_language="Dutch")


def test_passages_saved_before_languages_load_as_english():
    old = {"passage_id": "a#0", "doc_id": "a", "title": "T", "url": None, "heading": "", "text": "x",
           "indexed": "x", "kind": "section"}
    assert Passage.from_dict(old).language == "en"


def test_cli_indexes_with_the_default_language_setting_and_searches_one_language(bilingual: Path, embedder, tmp_path: Path,
                                                                                 monkeypatch):
    from typer.testing import CliRunner

    from cli import kb as kb_cli
    from cli.main import app

    monkeypatch.setattr(kb_cli, "_embedder", lambda model: embedder)
    monkeypatch.setenv("KEEPCART_KB__DEFAULT_LANGUAGE", "nl")
    out = tmp_path / "idx"
    result = CliRunner().invoke(app, ["kb", "index", "--source", str(bilingual), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["params"]["default_language"] == "nl"
    result = CliRunner().invoke(app, ["kb", "search", "Wie lange dauert der Versand?", "--index", str(out), "--language", "de"])
    assert result.exit_code == 0, result.output
    ranked = [line for line in result.output.splitlines() if line[:3] in ("1. ", "2. ", "3. ")]
    assert ranked and all(" [de] " in line for line in ranked), result.output
    result = CliRunner().invoke(app, ["kb", "search", "Do you ship to Canada?", "--index", str(out), "--language", "nl"])
    assert " [nl] " in result.output.splitlines()[0]  # the English FAQ row without a language: the setting's
