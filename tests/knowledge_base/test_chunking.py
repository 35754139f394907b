"""Chunking: headings kept as context, long text split between sentences, FAQ questions indexed alone."""

from __future__ import annotations

from knowledge_base.chunking import chunk_document, plain, sections
from knowledge_base.documents import Document


def _doc(body: str, **kw) -> Document:
    return Document(doc_id=kw.pop("doc_id", "a"), title=kw.pop("title", "Returns"), body=body,
                    kind=kw.pop("kind", "article"), **kw)


def test_heading_paths_nest_and_code_fences_are_not_headings():
    body = "Intro.\n\n## Shipping\n\nText.\n\n### Express\n\nFast.\n\n```\n## not a heading\n```\n\n## Costs\n\nMoney."
    paths = [p for p, _ in sections(body)]
    assert paths == ["", "Shipping", "Shipping › Express", "Costs"]


def test_title_passage_then_sections_merged_up_to_the_word_budget():
    body = "Most items can be returned.\n\n## Label\n\nThe label is free.\n\n## Final sale\n\nGift cards are final."
    passages = chunk_document(_doc(body, tags=["refund"]), max_words=150)
    assert [p.kind for p in passages] == ["title", "section"]
    title, section = passages
    assert title.indexed == "Returns refund" and title.text == section.text
    assert section.heading == "Label · Final sale"
    assert "**Label**\nThe label is free." in section.text  # sub-headings stay readable
    assert section.indexed.startswith("Returns. Most items") and "Final sale Gift cards" in section.indexed
    assert [p.passage_id for p in passages] == ["a#0", "a#1"]


def test_long_sections_split_between_sentences_within_the_budget():
    sentence = "This sentence has exactly eight words in it. "
    body = "## Long\n\n" + sentence * 40
    passages = [p for p in chunk_document(_doc(body), max_words=50) if p.kind == "section"]
    assert len(passages) >= 6
    assert all(len(p.text.split()) <= 52 for p in passages)  # budget plus the bold heading line
    assert all(p.text.rstrip().endswith(".") for p in passages)
    assert all(p.heading == "Long" for p in passages)


def test_list_items_are_never_cut_in_half():
    items = "\n".join(f"- item number {i} has six words" for i in range(30))
    passages = [p for p in chunk_document(_doc("## List\n\n" + items), max_words=40) if p.kind == "section"]
    lines = [line for p in passages for line in p.text.splitlines() if line.startswith("- ")]
    assert len(lines) == 30


def test_faq_question_is_its_own_passage_showing_the_answer():
    doc = _doc("No, only within Europe.", doc_id="00042", title="Do you ship to Canada?", kind="faq")
    question, answer = chunk_document(doc)
    assert (question.kind, question.indexed, question.text) == ("question", "Do you ship to Canada?", "No, only within Europe.")
    assert answer.indexed == "Do you ship to Canada? No, only within Europe."
    assert question.doc_id == "00042"


def test_front_matter_questions_become_passages():
    passages = chunk_document(_doc("Body text here.", questions=["Can I send it back?"]))
    assert [(p.kind, p.indexed) for p in passages[:2]] == [("title", "Returns"), ("question", "Can I send it back?")]


def test_plain_strips_markdown_but_keeps_words():
    assert plain("See **[our policy](https://x)** and `code`:\n- one\n1. two") == "See our policy and code: one two"
