"""Natural-language understanding: intents and entities of each shopper message."""

from bot.nlu.types import Entity, Parse

__all__ = ["Entity", "Parse"]
