"""`keepcart test conversations` end to end: exit codes, the readable report, --report, --known-failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from common.db import make_engine, make_session_factory
from common.migrate import upgrade
from tests.stories.conftest import story_shop

PASSING = """stories:
  - name: track the paid order
    shopper: {orders: [paid]}
    steps:
      - user: "where is order {order.paid}?"
        reply: "{order.paid}"
"""
FAILING = """stories:
  - name: expects a refusal that never comes
    shopper: {orders: [paid]}
    steps:
      - user: "cancel order {order.paid}"
      - user: "yes"
        not_reply: "(?i)cancelled"
"""


@pytest.fixture
def shop_dir(cli_data_dir: Path) -> Path:
    cli_data_dir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{cli_data_dir / 'keepcart.db'}")
    upgrade(engine)
    story_shop(make_session_factory(engine))
    engine.dispose()
    return cli_data_dir


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["test", "conversations", *args])


def test_passing_stories_exit_0_and_write_the_json_report(shop_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text(PASSING)
    result = run(str(tmp_path / "s.yml"), "--report", str(tmp_path / "out.json"))
    assert result.exit_code == 0, result.output
    assert "1 stories: 1 passed, 0 failed" in result.output
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["stories"][0]["outcome"] == "passed" and report["stories"][0]["customer_id"] == "C001"


def test_a_failing_story_exits_1_and_shows_the_turn(shop_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text(FAILING)
    result = run(str(tmp_path / "s.yml"))
    assert result.exit_code == 1
    assert "FAIL  expects a refusal that never comes" in result.output
    assert "turn at line 6: > yes" in result.output and "no reply may match '(?i)cancelled'; one does" in result.output
    assert "end state: order 1000000004 is cancelled, expected paid (unchanged)" in result.output


def test_known_failures_are_reported_not_counted(shop_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text(FAILING + PASSING.removeprefix("stories:\n"))
    known = tmp_path / "known.txt"
    known.write_text("# expected to fail until the dialogue is fixed\nexpects a refusal that never comes\ntrack the paid order\nno such story\n")
    result = run(str(tmp_path / "s.yml"), "--known-failures", str(known))
    assert result.exit_code == 0, result.output
    assert "XFAIL expects a refusal that never comes" in result.output
    assert "FIXED track the paid order" in result.output and "1 fixed" in result.output
    assert "no such story" not in result.output  # a subset of the stories: other names are not suspicious


def test_known_failures_naming_no_shipped_story_are_warned_about(shop_dir: Path, tmp_path: Path) -> None:
    known = tmp_path / "known.txt"
    known.write_text("no such story\n")
    result = run("--known-failures", str(known), "--report", str(tmp_path / "all.json"))
    assert "warning: the known-failures list names 'no such story', which no story has" in result.output
    assert json.loads((tmp_path / "all.json").read_text())["summary"]["stories"] >= 80


def test_a_malformed_story_file_exits_2_naming_file_and_line(shop_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("stories:\n  - name: x\n    steps:\n      - user: hi\n        expect_reply: hello\n")
    result = run(str(tmp_path / "bad.yml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'bad.yml'}:4: step: unknown key(s) expect_reply" in result.output


def test_without_a_database_it_fails_naming_the_path_and_creates_none(cli_data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text(PASSING)
    result = run(str(tmp_path / "s.yml"))
    assert result.exit_code == 1 and f"no database at {cli_data_dir.resolve() / 'keepcart.db'}" in result.output
    assert not (cli_data_dir / "keepcart.db").exists()


def test_write_known_failures_lists_the_failing_stories(shop_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "s.yml").write_text(FAILING + PASSING.removeprefix("stories:\n"))
    out = tmp_path / "known.txt"
    result = run(str(tmp_path / "s.yml"), "--write-known-failures", str(out))
    assert result.exit_code == 0 and "wrote 1 failing story names" in result.output
    from conversation_tests.runner import read_known_failures

    assert read_known_failures(out.read_text()) == {"expects a refusal that never comes"}
