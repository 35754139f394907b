"""Reading sources: front matter, titles, FAQ files, and bad files reported with path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import DataFileError, DataFileErrors
from knowledge_base.documents import load_documents, parse_faq_csv, parse_faq_json, parse_markdown


def test_front_matter_sets_id_url_tags_and_questions(sources: Path):
    docs = {d.doc_id: d for d in load_documents([sources])}
    returns = docs["returns"]
    assert returns.title == "Returning an item"
    assert returns.url == "https://help.example/returns"
    assert returns.tags == ["returns", "refund"]
    assert returns.questions == ["Can I send something back?"]
    assert returns.body.startswith("You can return")


def test_id_defaults_to_the_file_stem_and_faq_ids_are_kept_as_strings(sources: Path):
    docs = {d.doc_id: d for d in load_documents([sources])}
    assert docs["delivery-times"].kind == "article" and docs["delivery-times"].url is None
    assert docs["00042"].title == "Do you ship to Canada?"  # "00042" stays "00042"
    assert docs["faq-how-can-i-pay"].url == "https://help.example/pay"  # slug of the question


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Just text, no title\n", 1, "must start with a '# Title'"),
        ("---\nid: a\n\n# Title\n\nBody\n", 1, "never closed"),
        ("---\nid: [unclosed\n---\n# Title\n\nBody\n", 2, "bad front matter"),
        ("---\ncolour: red\n---\n# Title\n\nBody\n", 2, "unknown front-matter key"),
        ("\n\n## Only a subheading\n\nBody\n", 3, "must start with a '# Title'"),
        ("# Title\n\n## Heading only\n", 1, "no text"),
        ("---\nid: has space\n---\n# Title\n\nBody\n", 2, "bad id"),
    ],
)
def test_bad_markdown_names_file_and_line(text: str, line: int, message: str):
    from common.errors import DataFileError

    with pytest.raises(DataFileError) as err:
        parse_markdown(text, "help/a.md")
    assert err.value.path == "help/a.md" and err.value.line == line
    assert message in str(err.value) and str(err.value).startswith(f"help/a.md:{line}:")


def test_faq_csv_line_numbers_count_multiline_quoted_fields():
    text = 'question,answer\n"Q1","line one\nline two"\n"Q2",""\n,"answer without question"\n'
    with pytest.raises(DataFileErrors) as err:
        parse_faq_csv(text, "faq.csv", "faq")
    assert [(e.line, e.detail) for e in err.value.errors] == [
        (4, "empty or missing answer"), (5, "empty or missing question")]


def test_faq_csv_needs_question_and_answer_columns():
    with pytest.raises(Exception, match=r"faq.csv:1: header must contain question and answer"):
        parse_faq_csv("title,body\nx,y\n", "faq.csv", "faq")


def test_faq_json_entries_keep_their_line_and_jsonl_is_read_per_line():
    text = '{"faqs": [\n  {"question": "Q1", "answer": "A1", "id": "007"},\n  {"question": "Q2"}\n]}'
    with pytest.raises(DataFileErrors) as err:
        parse_faq_json(text, "faq.json", "faq")
    assert [e.line for e in err.value.errors] == [3]
    docs = parse_faq_json('[{"question": "Q1", "answer": "A1", "id": "007"}]', "faq.json", "faq")
    assert docs[0].doc_id == "007"
    with pytest.raises(Exception, match=r"faq.jsonl:2: bad JSON"):
        parse_faq_json('{"question": "Q", "answer": "A"}\n{oops\n', "faq.jsonl", "faq", lines=True)


def test_faq_json_exports_with_another_list_key_and_capitalised_fields():
    text = '{"version": 2, "questions": [\n  {"Question": "Do you ship abroad?", "Answer": "Yes, to 30 countries."},\n  {"Question": "Q2"}\n]}'
    with pytest.raises(DataFileErrors) as err:
        parse_faq_json(text, "export.json", "export")
    assert [(e.line, e.detail) for e in err.value.errors] == [(3, "empty or missing answer")]
    docs = parse_faq_json(text.replace('{"Question": "Q2"}', '{"question": "Q2", "ANSWER": "A2"}'), "export.json", "export")
    assert [(d.title, d.body, d.line) for d in docs] == [("Do you ship abroad?", "Yes, to 30 countries.", 2), ("Q2", "A2", 3)]
    with pytest.raises(DataFileError, match=r"export.json:1: .*one such list \(lists found: a, b\)"):
        parse_faq_json('{"a": [], "b": []}', "export.json", "export")
    with pytest.raises(DataFileError, match=r"export.json:1: expected a list"):
        parse_faq_json('"just a string"', "export.json", "export")


def test_faq_csv_with_the_column_names_of_other_exports():
    docs = parse_faq_csv("Q,A,Link\nDo you ship abroad?,Yes.,https://help.example/abroad\n", "faq.csv", "faq")
    assert [(d.title, d.body, d.url) for d in docs] == [("Do you ship abroad?", "Yes.", "https://help.example/abroad")]
    docs = parse_faq_csv("Query,Response,Answer\nWhy?,not this one,Because.\n", "faq.csv", "faq")
    assert docs[0].body == "Because."  # an alias never overrides the real column
    with pytest.raises(DataFileError, match=r"faq.csv:1: header must contain question and answer"):
        parse_faq_csv("Topic,Text\nx,y\n", "faq.csv", "faq")


def test_every_problem_in_every_file_is_reported_at_once(tmp_path: Path):
    (tmp_path / "a.md").write_text("# A\n\nText.\n")
    (tmp_path / "b.md").write_text("---\nid: a\n---\n# B\n\nText.\n")  # duplicate id
    (tmp_path / "c.md").write_text("no title\n")
    (tmp_path / "faq.csv").write_text("question,answer\nQ,\n")
    (tmp_path / "notes.txt").write_text("ignored: folders only read supported files")
    with pytest.raises(DataFileErrors) as err:
        load_documents([tmp_path, tmp_path / "missing.md"])
    messages = str(err.value)
    assert "missing.md: no such file" in messages
    with pytest.raises(DataFileErrors) as err:
        load_documents([tmp_path])
    found = {(Path(e.path).name, e.line) for e in err.value.errors}
    assert found == {("b.md", 4), ("c.md", 1), ("faq.csv", 2)}
    assert "duplicate document id 'a'" in str(err.value)


def test_unsupported_file_type_is_refused(tmp_path: Path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(DataFileErrors, match="unsupported file type"):
        load_documents([path])
