"""Emoji-only messages have a mood; anything with words is left to the NLU."""

import pytest

from bot.moods import mood_of


@pytest.mark.parametrize(("text", "mood"), [
    ("😡😡😡", "upset"), ("👎", "upset"), ("🙄 !!", "upset"),
    ("👍", "pleased"), ("👍🏽", "pleased"), ("❤️", "pleased"),
    ("no 👎", None), ("great 👍", None), ("😡👍", None), ("!!!", None), ("🤔", None), ("", None), ("123 😡", None),
])
def test_only_emoji_messages_have_a_mood(text, mood):
    assert mood_of(text) == mood
