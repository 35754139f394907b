"""Build an index only when needed: the demo calls `build_or_load` on every start.

The data hash covers each source file's name (it becomes the article id) and content, the
embedding model and the build parameters; when all match the saved manifest, loading takes well
under a second instead of re-embedding the help centre.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from common.artifacts import MANIFEST, hash_obj, read_manifest
from knowledge_base.documents import expand_sources
from knowledge_base.embedder import Embedder
from knowledge_base.index import KIND, KnowledgeBase, canonical_model

HELP_CENTRE = Path(__file__).resolve().parent / "help_centre"


def default_sources() -> list[Path]:
    """The demo shop's help centre (Harbour & Pine), shipped as package data."""
    return [HELP_CENTRE]


def sources_hash(sources: list[Path], model_name: str, params: dict[str, Any]) -> str:
    """A SHA-256 over (file name, content) of every source file, the model and the build parameters."""
    files = []
    for path in expand_sources(list(sources)):
        files.append((path.name, hashlib.sha256(path.read_bytes()).hexdigest()))
    return hash_obj({"files": sorted(files), "model": canonical_model(model_name), "params": params})


def is_up_to_date(sources: list[Path], index_dir: Path, model_name: str, **params: Any) -> bool:
    """True when `index_dir` was built from exactly these sources, model and parameters.

    Needs no embedder, so a start-up with an unchanged help centre loads no model twice.
    """
    index_dir = Path(index_dir)
    if not (index_dir / MANIFEST).exists():
        return False
    wanted = sources_hash(sources, model_name, KnowledgeBase(None, **params).params())  # type: ignore[arg-type]
    manifest = read_manifest(index_dir, KIND)
    return manifest.get("data_hash") == wanted and manifest.get("embedding_model") == canonical_model(model_name)


def build_or_load(sources: list[Path], index_dir: Path, embedder: Embedder, progress: bool = False,
                  **params: Any) -> KnowledgeBase:
    """Load `index_dir` when it was built from these sources with this model, else rebuild and save it."""
    index_dir = Path(index_dir)
    if is_up_to_date(sources, index_dir, embedder.model_name, **params):
        return KnowledgeBase.load(index_dir, embedder)
    kb = KnowledgeBase.build(sources, embedder, progress=progress, **params)
    kb.data_hash_ = sources_hash(sources, embedder.model_name, kb.params())
    kb.save(index_dir)
    return kb
