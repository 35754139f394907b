"""The action registry: every dialogue action is a function registered under its name.

A shop adds an action without editing the manager: register a function with `@action("name")`
(or pass `actions={...}` to `DialogueManager`) and map an intent to it in the policy. The manager
only looks actions up here; tests check that every action the policy can choose is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot import events as ev
from bot.events import Event
from bot.responses import Reply, button

if TYPE_CHECKING:
    from bot.dialogue import DialogueManager
    from bot.nlu.types import Parse
    from bot.policy import Decision
    from bot.state import ConversationState


@dataclass
class Outcome:
    """What an action did: replies to render and state changes to record."""

    replies: list[Reply] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    succeeded: bool = True
    fallback: bool = False  # nothing understood: counts towards offering a person
    signal: str | None = None  # a churn signal the retention agent may answer (see CHURN_TRIGGERS)
    order_id: str | None = None  # the order the answer was about, when the decision named none

    def say(self, key: str, buttons: list[dict[str, str]] | None = None, **values: Any) -> Outcome:
        self.replies.append(Reply(key, values, buttons=buttons or []))
        return self

    def failed(self) -> Outcome:
        """Mark the action as not done, so it counts as no churn signal."""
        self.succeeded = False
        return self

    def form(self, name: str | None, **slots: Any) -> Outcome:
        self.events.append(Event(ev.FORM_SET, {"form": name, "slots": slots}))
        return self

    def sets_form(self) -> bool:
        return any(e.type == ev.FORM_SET for e in self.events)


Action = Callable[["DialogueManager", "Decision", "ConversationState", "Parse"], Outcome]
ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    """Register `fn` as the action `name` (a later registration replaces an earlier one)."""

    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return register


TALK_TO_PERSON = button("talk_to_person")


def yes_no() -> list[dict[str, str]]:
    return [button("yes"), button("no")]
