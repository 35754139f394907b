"""The run's report: readable text for a person, JSON for tools (`--report FILE`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from conversation_tests.runner import StoryResult

MARK = {"passed": "PASS", "failed": "FAIL", "known failure": "XFAIL", "fixed": "FIXED"}


def summary(results: list[StoryResult], unknown_known: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    counts = Counter(r.outcome for r in results)
    return {"stories": len(results), "passed": counts["passed"] + counts["fixed"], "failed": counts["failed"],
            "known_failures": counts["known failure"], "fixed": counts["fixed"],
            "unknown_known_failures": sorted(unknown_known),
            "seconds": round(sum(r.seconds for r in results), 2)}


def story_line(result: StoryResult) -> str:
    who = result.customer_id or "anonymous"
    return f"{MARK[result.outcome]:5} {result.story.name}  ({result.story.file}:{result.story.line}, {who}, {result.seconds:.1f} s)"


def failure_details(result: StoryResult) -> list[str]:
    """For a failing story: each failing turn with what was sent, expected and answered."""
    lines = []
    if result.error:
        lines.append(f"      error: {result.error}")
    for turn in result.turns:
        if not turn.failures:
            continue
        lines.append(f"      turn at line {turn.line}: > {turn.user}")
        lines += [f"        failed: {f}" for f in turn.failures]
        lines.append(f"        got: intent {', '.join(turn.intents) or '?'} -> action {', '.join(turn.actions) or '?'}; status {turn.status}")
        for reply in turn.replies or ["(no reply)"]:
            lines.append(f"        bot: {_short(reply)}")
        if turn.sources:
            lines.append(f"        sources: {', '.join(turn.sources)}")
    lines += [f"      end state: {f}" for f in result.end_failures]
    return lines


def summary_line(results: list[StoryResult]) -> str:
    s = summary(results)
    fixed = f", {s['fixed']} fixed (remove them from the known-failures list)" if s["fixed"] else ""
    return (f"{s['stories']} stories: {s['passed']} passed, {s['failed']} failed, "
            f"{s['known_failures']} known failures{fixed} in {s['seconds']} s")


def text_report(results: list[StoryResult]) -> str:
    """Every story's line, the details of each unexpected failure, and the summary."""
    lines = []
    for r in results:
        lines.append(story_line(r))
        if not r.passed and not r.known_failure:
            lines += failure_details(r)
    lines.append(summary_line(results))
    return "\n".join(lines)


def json_report(results: list[StoryResult], unknown_known: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "summary": summary(results, unknown_known),
        "stories": [{
            "name": r.story.name, "file": r.story.file, "line": r.story.line, "outcome": r.outcome, "passed": r.passed,
            "customer_id": r.customer_id, "seconds": round(r.seconds, 3), "error": r.error, "end_state_failures": r.end_failures,
            "turns": [{"user": t.user, "line": t.line, "intents": t.intents, "actions": t.actions, "replies": t.replies,
                       "sources": t.sources, "status": t.status, "failures": t.failures} for t in r.turns],
        } for r in results],
    }


def _short(text: str, limit: int = 240) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
