"""`keepcart kb search` without --index uses the index the server loads (<data_dir>/kb_index)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from cli import kb as kb_cli
from cli.main import app


def test_search_defaults_to_the_data_dirs_index(sources: Path, cli_data_dir: Path, embedder, monkeypatch) -> None:
    monkeypatch.setattr(kb_cli, "_embedder", lambda model: embedder)
    missing = CliRunner().invoke(app, ["kb", "search", "express delivery"])
    assert missing.exit_code == 1 and f"no help-centre index at {cli_data_dir / 'kb_index'} (the default)" in missing.output

    built = CliRunner().invoke(app, ["kb", "index", "--source", str(sources), "--out", str(cli_data_dir / "kb_index")])
    assert built.exit_code == 0, built.output
    found = CliRunner().invoke(app, ["kb", "search", "how long does express delivery take", "-k", "1"])
    assert found.exit_code == 0, found.output
    assert "delivery-times" in found.output.splitlines()[0]
