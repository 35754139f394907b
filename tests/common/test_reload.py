"""A running server picks up a new artifact version without a restart, and refuses mismatched builds."""

from __future__ import annotations

import json

import pytest

from common.artifacts import MANIFEST, read_manifest, version_mismatches, write_manifest
from common.errors import InvalidInput
from common.reload import Reloading


def publish(directory, artifact_id: str, payload: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / "payload.txt").write_text(payload)
    (directory / MANIFEST).write_text(json.dumps({"kind": "toy", "id": artifact_id}))


def test_a_new_version_is_swapped_in_on_the_next_check_and_a_broken_one_is_skipped(tmp_path):
    now = [0.0]
    replaced: list[str] = []
    publish(tmp_path / "a", "v1", "one")

    def load(d):
        text = (d / "payload.txt").read_text()
        if text == "broken":
            raise ValueError("corrupt weights")
        return text

    holder = Reloading(tmp_path / "a", load, "one", check_seconds=5, on_replace=replaced.append, clock=lambda: now[0])
    publish(tmp_path / "a", "v2", "two")
    assert holder.get() == "one"  # not checked yet: no file system access per request
    now[0] = 6
    assert holder.get() == "two" and replaced == ["one"]
    publish(tmp_path / "a", "v3", "broken")
    now[0] = 12
    assert holder.get() == "two"  # the broken version is logged and skipped; the old one keeps serving


def test_an_artifact_built_with_another_major_library_version_is_refused_with_a_clear_message(tmp_path):
    write_manifest(tmp_path, "toy")
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["versions"]["numpy"] = "0.1.0"
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(InvalidInput, match=r"numpy 0.1.0 -> .*rebuild"):
        read_manifest(tmp_path, "toy")
    assert version_mismatches({"numpy": "2.0.0"}, {"numpy": "2.3.1"}) == []
