"""Versioned artifact directories: every trained model or index carries a `manifest.json`.

The manifest records what made the artifact (kind, data hash, params, library versions) so
the server can refuse a mismatched artifact and a rebuild happens only when inputs change.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from common.errors import InvalidInput

MANIFEST = "manifest.json"
TRACKED_LIBRARIES = ("keepcart", "torch", "transformers", "sentence-transformers", "faiss-cpu", "scikit-learn", "numpy")


def library_versions(names: Iterable[str] = TRACKED_LIBRARIES) -> dict[str, str]:
    """Installed versions of the libraries that shape an artifact."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def hash_files(paths: Iterable[Path | str]) -> str:
    """A stable SHA-256 over file contents (order-independent on names), for data hashes."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    digest.update(child.read_bytes())
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def hash_obj(obj: Any) -> str:
    """SHA-256 of a JSON-serialisable object, keys sorted."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def new_artifact_id(kind: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{uuid.uuid4().hex[:6]}"


@contextmanager
def staged(directory: Path) -> Iterator[Path]:
    """A staging folder beside `directory` that replaces it only once the block has written everything.

    A crash or an error mid-write leaves the previous artifact as it was, and a server starting or
    reloading meanwhile never loads half of one. The swap is two renames on one file system (the
    old folder is moved aside, then the new one into place). A non-empty folder that holds no
    artifact is refused rather than replaced: `--out .` must never delete a folder of other files.
    """
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir()) and not (directory / MANIFEST).exists()):
        raise InvalidInput(f"{directory} already holds other files and no Keepcart artifact: write to a new or empty folder")
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.with_name(f".{directory.name}.tmp-{uuid.uuid4().hex[:6]}")
    staging.mkdir()
    try:
        yield staging
        old = directory.with_name(f".{directory.name}.old-{uuid.uuid4().hex[:6]}")
        if directory.exists():
            directory.rename(old)
        staging.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_manifest(directory: Path, kind: str, **fields: Any) -> dict[str, Any]:
    """Write `manifest.json` into `directory` and return it. Fields: data_hash, params, metrics, labels..."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {
        "kind": kind,
        "id": fields.pop("id", None) or new_artifact_id(kind),
        "created_at": datetime.now(UTC).isoformat(),
        "versions": library_versions(),
        **fields,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))
    return manifest


# Libraries whose file formats an artifact depends on: a different major version may not read it.
FORMAT_LIBRARIES = ("torch", "transformers", "sentence-transformers", "faiss-cpu", "scikit-learn", "numpy")


def version_mismatches(recorded: dict[str, str], installed: dict[str, str] | None = None) -> list[str]:
    """'transformers 4.44.0 -> 5.1.0' for each format library whose major version changed since the build."""
    installed = installed if installed is not None else library_versions(FORMAT_LIBRARIES)
    out = []
    for name in FORMAT_LIBRARIES:
        was, now = recorded.get(name), installed.get(name)
        if was and now and was.split(".")[0] != now.split(".")[0]:
            out.append(f"{name} {was} -> {now}")
    return out


def read_manifest(directory: Path, kind: str | None = None) -> dict[str, Any]:
    """Read and check an artifact's manifest; a clear error when it is missing, of another kind, or was
    built with a major version of a library (torch, transformers, faiss...) that is no longer installed."""
    path = Path(directory) / MANIFEST
    if not path.exists():
        raise InvalidInput(f"{directory}: not a Keepcart artifact (no {MANIFEST})")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if kind is not None and manifest.get("kind") != kind:
        raise InvalidInput(f"{directory}: is a {manifest.get('kind')!r} artifact, expected {kind!r}")
    changed = version_mismatches(manifest.get("versions") or {})
    if changed:
        raise InvalidInput(f"{directory}: built with other major library versions ({'; '.join(changed)}); "
                           f"rebuild it (keepcart nlu train / kb index / churn train, or keepcart demo)")
    return manifest
