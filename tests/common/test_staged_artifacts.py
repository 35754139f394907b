"""Artifacts are written beside the old one and swapped in whole: a failed write changes nothing."""

from __future__ import annotations

import json

import pytest

from common.artifacts import MANIFEST, staged, write_manifest
from common.errors import InvalidInput


def _artifact(directory, weights: str) -> None:
    with staged(directory) as out:
        (out / "weights.bin").write_text(weights)
        write_manifest(out, "test")


def test_a_new_artifact_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "models" / "nlu"
    _artifact(target, "v1")
    first = json.loads((target / MANIFEST).read_text())["id"]
    _artifact(target, "v2")
    assert (target / "weights.bin").read_text() == "v2" and json.loads((target / MANIFEST).read_text())["id"] != first
    assert sorted(p.name for p in target.parent.iterdir()) == ["nlu"]  # no staging or old folder left behind


def test_a_write_that_fails_half_way_leaves_the_old_artifact_serving(tmp_path):
    target = tmp_path / "nlu"
    _artifact(target, "v1")
    with pytest.raises(RuntimeError), staged(target) as out:
        (out / "weights.bin").write_text("half of v2")
        raise RuntimeError("disk full")
    assert (target / "weights.bin").read_text() == "v1" and (target / MANIFEST).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nlu"]


def test_a_folder_of_other_files_is_refused_not_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="other files"), staged(tmp_path):
        pass
    assert (tmp_path / "notes.txt").read_text() == "mine"
