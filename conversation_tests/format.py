"""The story format: parse YAML files into `Story` objects, rejecting anything malformed with file:line.

Why so strict: a typo in an expectation key ("replys:") would otherwise make a story pass without
checking anything, so unknown keys, bad regexes and unknown variables are errors before any turn runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ORDER_STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "returned", "refunded")
# Selector-only kinds: `returnable` is a delivered order still inside the shop's return window.
ORDER_KINDS = (*ORDER_STATUSES, "returnable")
STEP_KEYS = {"user", "intent", "action", "reply", "not_reply", "cites", "handed_off", "cards"}
STORY_KEYS = {"name", "shopper", "steps", "expect", "tags"}
SHOPPER_KEYS = {"orders", "id", "country"}
EXPECT_KEYS = {"orders", "returns", "address_changed", "handed_off"}
# {customer.id}, {order.last}, {order.paid}, {order.paid.2}, {order.shipped.carrier}, {order.other_customer} ...
VARIABLE = re.compile(r"\{([a-z_]+(?:\.[a-z_0-9]+){1,3})\}")
CUSTOMER_FIELDS = {"id", "first_name", "name", "country", "email"}
ORDER_FIELDS = {"product", "carrier", "id"}


class StoryError(ValueError):
    """A malformed story file; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Step:
    user: str
    line: int
    intent: str | None = None
    action: str | None = None
    reply: tuple[str, ...] = ()
    not_reply: tuple[str, ...] = ()
    cites: str | None = None
    handed_off: bool | None = None
    cards: bool | None = None  # some reply shows product cards (recommendations, search results)


@dataclass(frozen=True)
class Shopper:
    """Who plays the story: anonymous, a named customer, or a fresh customer with these order statuses."""

    anonymous: bool = False
    customer_id: str | None = None
    orders: tuple[str, ...] = ()
    country: str | None = None


@dataclass(frozen=True)
class Expect:
    orders: dict[str, str] = field(default_factory=dict)  # order id (may hold variables) -> status
    returns: int = 0
    address_changed: bool = False
    handed_off: bool | None = None


@dataclass(frozen=True)
class Story:
    name: str
    file: str
    line: int
    shopper: Shopper
    steps: tuple[Step, ...]
    expect: Expect
    tags: tuple[str, ...] = ()


class _Map(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers the line it started on."""

    line = 0


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    out = _Map(loader.construct_pairs(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def error(self, line: int, message: str) -> StoryError:
        return StoryError(f"{self.file}:{line}: {message}")

    def mapping(self, value: Any, line: int, what: str, allowed: set[str]) -> _Map:
        if not isinstance(value, _Map):
            raise self.error(line, f"{what} must be a mapping")
        unknown = sorted(set(map(str, value)) - allowed)
        if unknown:
            raise self.error(value.line, f"{what}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, line: int, what: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
            raise self.error(line, f"{what} must be a non-empty string")
        return str(value)

    def patterns(self, value: Any, line: int, what: str, shopper: Shopper) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            pattern = self.text(item, line, what)
            self.variables(pattern, line, shopper)
            try:
                re.compile(VARIABLE.sub("x", pattern))
            except re.error as exc:
                raise self.error(line, f"{what}: bad regular expression {pattern!r}: {exc}") from None
            out.append(pattern)
        return tuple(out)

    def variables(self, text: str, line: int, shopper: Shopper) -> None:
        for name in VARIABLE.findall(text):
            problem = variable_problem(name, shopper)
            if problem:
                raise self.error(line, f"{{{name}}}: {problem}")


def variable_problem(name: str, shopper: Shopper) -> str | None:
    """Why `name` cannot be bound for this shopper, or None when it can."""
    head, *rest = name.split(".")
    if head == "customer":
        if shopper.anonymous:
            return "an anonymous shopper has no customer variables"
        return None if len(rest) == 1 and rest[0] in CUSTOMER_FIELDS else f"customer fields are {', '.join(sorted(CUSTOMER_FIELDS))}"
    if head != "order":
        return "variables start with customer. or order."
    if rest == ["other_customer"]:
        return None
    if shopper.anonymous:
        return "an anonymous shopper has no orders"
    status, *more = rest
    if status != "last" and status not in ORDER_KINDS:
        return f"unknown order status {status!r} (one of last, other_customer, {', '.join(ORDER_KINDS)})"
    if status != "last" and shopper.customer_id is None and status not in shopper.orders:
        return f"the shopper selector asks for no {status} order (add it to shopper.orders)"
    if more and more[0].isdigit():
        if status == "last" or shopper.orders.count(status) < int(more[0]):
            return f"the shopper selector asks for fewer than {more[0]} {status} orders"
        more = more[1:]
    if len(more) > 1 or (more and more[0] not in ORDER_FIELDS):
        return f"order fields are {', '.join(sorted(ORDER_FIELDS))}"
    return None


def _shopper(r: _Reader, value: Any, line: int) -> Shopper:
    if value in (None, "anonymous"):
        return Shopper(anonymous=True)
    m = r.mapping(value, line, "shopper", SHOPPER_KEYS)
    orders = m.get("orders") or []
    if not isinstance(orders, list) or any(o not in ORDER_KINDS for o in orders):
        raise r.error(m.line, f"shopper.orders must be a list of order statuses ({', '.join(ORDER_KINDS)})")
    if "id" in m and orders:
        raise r.error(m.line, "shopper: give either id or orders, not both")
    country = m.get("country")
    if country is not None and not (isinstance(country, str) and len(country) == 2):
        raise r.error(m.line, "shopper.country must be a two-letter country code")
    return Shopper(customer_id=str(m["id"]) if "id" in m else None, orders=tuple(orders), country=country and country.upper())


def _step(r: _Reader, value: Any, line: int, shopper: Shopper) -> Step:
    m = r.mapping(value, line, "step", STEP_KEYS)
    if "user" not in m:
        raise r.error(m.line, "step: `user` (what the shopper says) is required")
    user = r.text(m["user"], m.line, "user")
    r.variables(user, m.line, shopper)
    handed_off, cards = m.get("handed_off"), m.get("cards")
    for key, value in (("handed_off", handed_off), ("cards", cards)):
        if value is not None and not isinstance(value, bool):
            raise r.error(m.line, f"{key} must be true or false")
    cites = m.get("cites")
    return Step(user=user, line=m.line, intent=m.get("intent") and r.text(m["intent"], m.line, "intent"),
                action=m.get("action") and r.text(m["action"], m.line, "action"),
                reply=r.patterns(m["reply"], m.line, "reply", shopper) if "reply" in m else (),
                not_reply=r.patterns(m["not_reply"], m.line, "not_reply", shopper) if "not_reply" in m else (),
                cites=None if cites is None else r.text(cites, m.line, "cites"), handed_off=handed_off, cards=cards)


def _expect(r: _Reader, value: Any, line: int, shopper: Shopper) -> Expect:
    if value is None:
        return Expect()
    m = r.mapping(value, line, "expect", EXPECT_KEYS)
    orders = m.get("orders") or {}
    if not isinstance(orders, dict):
        raise r.error(m.line, "expect.orders must map order ids to statuses")
    for order_id, status in orders.items():
        r.variables(str(order_id), m.line, shopper)
        if status not in ORDER_STATUSES:
            raise r.error(m.line, f"expect.orders: {status!r} is not an order status")
    returns = m.get("returns", 0)
    if isinstance(returns, bool) or not isinstance(returns, int) or returns < 0:
        raise r.error(m.line, "expect.returns must be a count (0 or more)")
    for key in ("address_changed", "handed_off"):
        if key in m and not isinstance(m[key], bool):
            raise r.error(m.line, f"expect.{key} must be true or false")
    return Expect({str(k): str(v) for k, v in orders.items()}, returns, bool(m.get("address_changed", False)), m.get("handed_off"))


def parse_stories(text: str, file: str) -> list[Story]:
    """The stories of one file's text; StoryError naming `file` and the line on any problem."""
    r = _Reader(file)
    try:
        doc = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise r.error(mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
    top = r.mapping(doc, 1, "a story file", {"stories"})
    items = top.get("stories")
    if not isinstance(items, list) or not items:
        raise r.error(top.line, "`stories` must be a non-empty list")
    out = []
    for item in items:
        m = r.mapping(item, top.line, "story", STORY_KEYS)
        name = r.text(m.get("name"), m.line, "name")
        if "#" in name:
            raise r.error(m.line, "a story name must not contain '#' (known-failure lists use it for comments)")
        shopper = _shopper(r, m.get("shopper"), m.line)
        steps = m.get("steps")
        if not isinstance(steps, list) or not steps:
            raise r.error(m.line, f"story {name!r}: `steps` must be a non-empty list")
        tags = m.get("tags") or []
        out.append(Story(name=name, file=file, line=m.line, shopper=shopper,
                         steps=tuple(_step(r, s, m.line, shopper) for s in steps),
                         expect=_expect(r, m.get("expect"), m.line, shopper), tags=tuple(map(str, tags))))
    return out


def story_files(paths: Iterable[Path]) -> list[Path]:
    """Story files named directly or found (*.yml, *.yaml) under the folders given, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))
        elif path.exists():
            files.append(path)
        else:
            raise StoryError(f"{path}: no such file or folder")
    return files


def load_stories(paths: Iterable[Path]) -> list[Story]:
    """Every story under `paths`; names must be unique across the run (known-failure lists name them)."""
    stories: list[Story] = []
    seen: dict[str, Story] = {}
    for file in story_files(paths):
        for story in parse_stories(file.read_text(encoding="utf-8"), str(file)):
            if story.name in seen:
                first = seen[story.name]
                raise StoryError(f"{story.file}:{story.line}: story name {story.name!r} is already used at {first.file}:{first.line}")
            seen[story.name] = story
            stories.append(story)
    return stories


def default_story_dir() -> Path:
    """The stories shipped with Keepcart (package data)."""
    import stories

    return Path(stories.__file__).parent
