"""Play stories and check each turn and the shop's end state.

End state is always checked: whatever a story's `expect` does not name must be unchanged (its
orders keep their status and address, no return is registered), because the worst thing a
shop-facing bot can do is change data the shopper did not ask and confirm.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from conversation_tests.drivers import Driver, Turn
from conversation_tests.format import VARIABLE, Step, Story
from conversation_tests.shoppers import Cast, NoShopper, ShopperPicker, ShopState


@dataclass
class TurnReport:
    user: str
    line: int
    intents: list[str]
    actions: list[str]
    replies: list[str]
    sources: list[str]
    status: str
    failures: list[str] = field(default_factory=list)


@dataclass
class StoryResult:
    story: Story
    customer_id: str | None = None
    turns: list[TurnReport] = field(default_factory=list)
    end_failures: list[str] = field(default_factory=list)
    error: str | None = None
    known_failure: bool = False
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and not self.end_failures and not any(t.failures for t in self.turns)

    @property
    def outcome(self) -> str:
        if self.passed:
            return "fixed" if self.known_failure else "passed"
        return "known failure" if self.known_failure else "failed"


def story_variables(story: Story) -> set[str]:
    texts: list[str] = [s.user for s in story.steps] + [p for s in story.steps for p in s.reply + s.not_reply]
    texts += list(story.expect.orders)
    return {name for t in texts for name in VARIABLE.findall(t)}


def _reply_text(reply: dict[str, Any]) -> str:
    """What a reply pattern is matched against: the text and the titles of its buttons and cards."""
    extra = [str(b.get("title", "")) for b in reply.get("buttons") or []] + [str(c.get("title", "")) for c in reply.get("cards") or []]
    return "\n".join([str(reply.get("text") or ""), *extra])


def check_turn(step: Step, turn: Turn, cast: Cast) -> list[str]:
    """Every expectation of `step` that `turn` does not meet, in words."""
    failures: list[str] = []
    texts = [_reply_text(r) for r in turn.replies]
    for pattern in step.reply:
        filled = cast.fill(pattern, regex=True)
        if not any(re.search(filled, t) for t in texts):
            failures.append(f"a reply should match {pattern!r}; none does")
    for pattern in step.not_reply:
        filled = cast.fill(pattern, regex=True)
        hit = next((t for t in texts if re.search(filled, t)), None)
        if hit is not None:
            failures.append(f"no reply may match {pattern!r}; one does")
    if step.cites is not None:
        sources = [s for r in turn.replies for s in (r.get("sources") or [])]
        if step.cites.lower() == "none":
            if sources:
                failures.append(f"cites {[s.get('url') for s in sources]}; it should cite nothing")
        elif not any(step.cites.lower() in f"{s.get('url', '')} {s.get('title', '')}".lower() for s in sources):
            failures.append(f"a cited source should contain {step.cites!r}; none does")
    if step.handed_off is not None and (turn.status == "handed_off") != step.handed_off:
        failures.append(f"the conversation should {'be' if step.handed_off else 'not be'} handed off; its status is {turn.status!r}")
    if step.cards is not None and any(r.get("cards") for r in turn.replies) != step.cards:
        failures.append("a reply should show product cards; none does" if step.cards else "no reply should show product cards")
    if (step.intent or step.action) and not turn.events_read:
        failures.append("intent/action expected but the transcript store is not reachable")
    if step.intent and turn.events_read and step.intent not in turn.intents:
        failures.append(f"the intent should be {step.intent!r}; it is {turn.intents or ['none']}")
    if step.action and turn.events_read and step.action not in turn.actions:
        failures.append(f"action {step.action!r} should run; the actions were {turn.actions or ['none']}")
    return failures


def check_end_state(story: Story, cast: Cast, before: ShopState, after: ShopState) -> list[str]:
    """Differences between the shop's end state and what the story allows."""
    failures: list[str] = []
    expected = {cast.fill(k): v for k, v in story.expect.orders.items()}
    for order_id, (status, address) in before.orders.items():
        now_status, now_address = after.orders.get(order_id, ("missing", address))
        want = expected.get(order_id, status)
        if now_status != want:
            failures.append(f"order {order_id} is {now_status}, expected {want}" + ("" if order_id in expected else " (unchanged)"))
    for order_id in expected.keys() - before.orders.keys():
        failures.append(f"order {order_id} is not one of the shopper's orders")
    changed = [o for o in before.orders if after.orders.get(o, (None, before.orders[o][1]))[1] != before.orders[o][1]]
    if before.customer_address != after.customer_address:
        changed.append(f"customer {cast.customer_id}")
    if bool(changed) != story.expect.address_changed:
        failures.append(f"shipping address changed on {changed}" if changed else "no shipping address changed, expected a change")
    if after.returns - before.returns != story.expect.returns:
        failures.append(f"{after.returns - before.returns} return(s) registered, expected {story.expect.returns}")
    if cast.customer_id is None and before.status_counts != after.status_counts:
        failures.append(f"orders changed during an anonymous conversation: {before.status_counts} -> {after.status_counts}")
    return failures


def run_story(story: Story, driver: Driver, picker: ShopperPicker | None) -> StoryResult:
    """Play one story; errors of the bot or the transport are reported, never raised."""
    result = StoryResult(story)
    started = time.perf_counter()
    try:
        if picker is None:
            if not (story.shopper.anonymous or story.shopper.customer_id) or story_variables(story):
                raise NoShopper("this story needs the shop's database (pass --data-dir or KEEPCART_DATABASE_URL)")
            cast = Cast(story.shopper.customer_id)
        else:
            cast = picker.cast(story.shopper, story_variables(story))
        result.customer_id = cast.customer_id
        before = picker.snapshot(cast) if picker else None
        conversation_id = driver.start(cast.customer_id)
        for step in story.steps:
            text = cast.fill(step.user)
            turn = driver.send(conversation_id, text)
            result.turns.append(TurnReport(text, step.line, turn.intents, turn.actions, [str(r.get("text") or "") for r in turn.replies],
                                           [str(s.get("url") or s.get("title")) for r in turn.replies for s in (r.get("sources") or [])],
                                           turn.status, check_turn(step, turn, cast)))
        if picker is not None and before is not None:
            result.end_failures = check_end_state(story, cast, before, picker.snapshot(cast))
            if story.expect.handed_off is not None and result.turns:
                if (result.turns[-1].status == "handed_off") != story.expect.handed_off:
                    result.end_failures.append(f"conversation ends {result.turns[-1].status!r}")
    except NoShopper as exc:
        result.error = str(exc)
    except Exception as exc:  # noqa: BLE001 - one broken story must not stop the run; its error is the report
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.perf_counter() - started
    return result


def run_stories(stories: Iterable[Story], driver: Driver, picker: ShopperPicker | None, known_failures: set[str] = frozenset(),  # type: ignore[assignment]
                progress: Callable[[StoryResult], None] | None = None) -> list[StoryResult]:
    results = []
    for story in stories:
        result = run_story(story, driver, picker)
        result.known_failure = story.name in known_failures
        results.append(result)
        if progress:
            progress(result)
    return results


def read_known_failures(text: str) -> set[str]:
    """Story names, one a line; blank lines and `#` comments ignored."""
    return {line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()}
