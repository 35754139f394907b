"""`keepcart test conversations`: play YAML stories against the demo shop and check every turn.

In process (default) it builds exactly what `keepcart serve` builds; with `--url` it talks to a
running server over the public chat API and reads intents, actions and the shop's state from the
database when that is reachable. Format and variables: docs/conversation_tests.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from cli import context

KNOWN_FAILURES_HEADER = ("# Stories that fail on today's dialogue (issue 10 items 1-7 will fix them): reported as known failures,\n"
                         "# not counted. `keepcart test conversations` says FIXED for a listed story that passes: delete its line.\n")

app = typer.Typer(help="Test Keepcart as a shop would: conversations with expected replies and shop state.",
                  no_args_is_help=True)


@app.command("conversations")
def conversations(
    paths: Annotated[list[Path] | None, typer.Argument(help="Story files or folders (default: the stories shipped with Keepcart)")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the results as JSON")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Play over HTTP against this running server, e.g. http://127.0.0.1:8000")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory of the shop (default: as every command resolves it)")] = None,
    known_failures: Annotated[Path | None, typer.Option("--known-failures", exists=True, dir_okay=False,
                                                           help="Story names expected to fail, one a line: reported, not counted as failures")] = None,
    only: Annotated[str | None, typer.Option("--only", help="Play only stories whose name contains this text")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print every story, not only failures")] = False,
    write_known_failures: Annotated[Path | None, typer.Option(
        "--write-known-failures", help="Write the names of the stories that failed in this run to this file (review its diff)")] = None,
) -> None:
    """Play conversation stories; exit 1 when a story fails (not listed as known), 2 for a malformed story file."""
    from conversation_tests.format import StoryError, default_story_dir, load_stories
    from conversation_tests.report import failure_details, json_report, story_line, summary_line
    from conversation_tests.runner import read_known_failures, run_stories

    if data_dir is not None:
        os.environ["KEEPCART_DATA_DIR"] = str(data_dir)
        context.settings.cache_clear()
        context.engine.cache_clear()
    try:
        stories = load_stories(paths or [default_story_dir()])
    except StoryError as exc:
        raise context.fail(str(exc), code=2) from None
    if only:
        stories = [s for s in stories if only.lower() in s.name.lower()]
    if not stories:
        raise context.fail("no stories to play", code=2)
    expected_fail = read_known_failures(known_failures.read_text(encoding="utf-8")) if known_failures else set()
    # Names that match no story are worth a warning only when every shipped story is played.
    unknown = expected_fail - {s.name for s in stories} if not (only or paths) else set()

    driver, picker, close = _in_process() if url is None else _over_http(url)

    def progress(result) -> None:  # type: ignore[no-untyped-def]
        if verbose or not result.passed or result.known_failure:
            typer.echo(story_line(result))
            if not result.passed and not result.known_failure:
                typer.echo("\n".join(failure_details(result)))
    try:
        typer.echo(f"playing {len(stories)} stories {'in process' if url is None else 'against ' + url}", err=True)
        results = run_stories(stories, driver, picker, expected_fail, progress)
    finally:
        close()
    typer.echo(summary_line(results))
    for name in sorted(unknown):
        typer.echo(f"warning: the known-failures list names {name!r}, which no story has")
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(json_report(results, unknown), indent=2, ensure_ascii=False))
    if write_known_failures is not None:
        failing = [r.story.name for r in results if not r.passed]
        write_known_failures.write_text(KNOWN_FAILURES_HEADER + "".join(f"{n}\n" for n in failing), encoding="utf-8")
        typer.echo(f"wrote {len(failing)} failing story names to {write_known_failures}")
        return
    if any(r.outcome == "failed" for r in results):
        raise typer.Exit(1)


def _in_process():  # type: ignore[no-untyped-def]
    """The components `keepcart serve` builds, driven without HTTP."""
    from conversation_tests.drivers import InProcessDriver
    from conversation_tests.shoppers import ShopperPicker
    from web.components import build_components

    context.require_database()
    components = build_components(context.settings())
    return InProcessDriver(components.chat, components.store), ShopperPicker(components.sessions), components.engine.dispose


def _over_http(url: str):  # type: ignore[no-untyped-def]
    """A client for the server at `url`; the database (for customers, events and state) when reachable."""
    import httpx

    from bot.transcript import TranscriptStore
    from common.db import make_engine, make_session_factory
    from conversation_tests.drivers import HttpDriver, mint_shopper_token
    from conversation_tests.shoppers import ShopperPicker

    client = httpx.Client(base_url=url.rstrip("/"), timeout=60)
    try:
        client.get("/api/v1/health").raise_for_status()
    except httpx.HTTPError as exc:
        client.close()
        raise context.fail(f"{url}: no Keepcart server answers ({exc})") from None
    settings = context.settings()
    db_url = settings.resolved_database_url()
    sessions = picker = store = None
    engine = None
    if not db_url.startswith("sqlite:///") or Path(db_url.removeprefix("sqlite:///")).exists():
        engine = make_engine(db_url)
        sessions = make_session_factory(engine)
        picker, store = ShopperPicker(sessions), TranscriptStore(sessions)
    else:
        typer.echo(f"no database at {db_url}: only anonymous and named-customer stories without state checks can run", err=True)
    secret_file = settings.data_dir / "secret_key"
    secret = settings.secret_key or (secret_file.read_text().strip() if secret_file.exists() else None)

    def close() -> None:
        client.close()
        if engine is not None:
            engine.dispose()
    return HttpDriver(client, mint_shopper_token(secret, client), store), picker, close
