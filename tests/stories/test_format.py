"""The story format: what parses, and malformed files rejected with file and line before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from conversation_tests.format import StoryError, default_story_dir, load_stories, parse_stories

GOOD = """
stories:
  - name: cancel
    shopper: {orders: [paid]}
    steps:
      - user: "cancel order {order.paid}"
        reply: ["{order.paid}", "(?i)shall I"]
        handed_off: false
      - user: "yes"
        action: do_cancel
    expect:
      orders: {"{order.paid}": cancelled}
  - name: anonymous
    steps:
      - user: "hi"
        cites: none
"""


def test_a_good_file_parses_into_steps_and_expectations() -> None:
    first, second = parse_stories(GOOD, "good.yml")
    assert first.shopper.orders == ("paid",) and not first.shopper.anonymous
    assert first.steps[0].reply == ("{order.paid}", "(?i)shall I") and first.steps[0].handed_off is False
    assert first.steps[1].action == "do_cancel" and first.steps[1].line == 9
    assert first.expect.orders == {"{order.paid}": "cancelled"} and first.expect.returns == 0
    assert second.shopper.anonymous and second.steps[0].cites == "none"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("stories:\n  - name: x\n    steps:\n      - user: hi\n        replys: hello\n", 4, "unknown key(s) replys"),
    ("stories:\n  - name: x\n    steps:\n      - user: hi\n        reply: '(unclosed'\n", 4, "bad regular expression"),
    ("stories:\n  - name: x\n    shopper: {orders: [paid]}\n    steps:\n      - user: 'cancel {order.shipped}'\n", 5, "asks for no shipped order"),
    ("stories:\n  - name: x\n    steps:\n      - user: 'hi {customer.id}'\n", 4, "anonymous shopper has no customer"),
    ("stories:\n  - name: x\n    steps: []\n", 2, "`steps` must be a non-empty list"),
    ("stories:\n  - name: x\n    shopper: {orders: [lost]}\n    steps:\n      - user: hi\n", 3, "shopper.orders must be"),
    ("stories:\n  - name: x\n    steps:\n      - user: hi\n    expect: {orders: {'1': gone}}\n", 5, "'gone' is not an order status"),
    ("stories:\n  - name: x\n    steps:\n      - {user: hi\n", 5, "not valid YAML"),
    ("stories:\n  - name: 'a # b'\n    steps:\n      - user: hi\n", 2, "must not contain '#'"),
])
def test_malformed_stories_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(StoryError) as err:
        parse_stories(text, "bad.yml")
    assert str(err.value).startswith(f"bad.yml:{line}:") and message in str(err.value)


def test_story_names_are_unique_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("stories:\n  - name: same\n    steps:\n      - user: hi\n")
    (tmp_path / "b.yml").write_text("stories:\n  - name: other\n    steps:\n      - user: hi\n  - name: same\n    steps:\n      - user: yo\n")
    with pytest.raises(StoryError, match=r"b\.yml:5: story name 'same' is already used at .*a\.yml:2"):
        load_stories([tmp_path])


def test_shipped_stories_are_many_mostly_unhappy_and_cover_the_issue() -> None:
    stories = load_stories([default_story_dir()])
    assert len(stories) >= 80
    assert sum("unhappy" in s.tags for s in stories) * 2 >= len(stories)
    names = " ".join(s.name for s in stories)
    for topic in ("phone number", "opening hours", "charged twice", "unsubscribe", "buy next", "parcel arrive",
                  "German", "French", "house number", "express price", "nothing came", "broken", "surfboards", "close my account"):
        assert topic in names, topic
    assert all(not s.shopper.anonymous or s.expect.orders == {} for s in stories)


def test_every_known_failure_names_a_shipped_story() -> None:
    from conversation_tests.runner import read_known_failures

    listed = read_known_failures((default_story_dir() / "known_failures.txt").read_text())
    assert listed <= {s.name for s in load_stories([default_story_dir()])}


def test_generated_digression_stories_are_up_to_date_and_cover_every_form_step() -> None:
    from conversation_tests.generated import DIGRESSIONS, FORMS, render

    assert (default_story_dir() / "generated_digressions.yml").read_text() == render()
    stories = [s for s in load_stories([default_story_dir()]) if "generated" in s.tags]
    assert len(stories) == sum(len(messages) for _, messages in FORMS.values()) * len(DIGRESSIONS)
    for story in stories:
        assert story.expect.returns == 0 and not story.expect.address_changed and story.steps[-1].not_reply
