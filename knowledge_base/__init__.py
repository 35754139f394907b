"""Help-centre answers: documents, chunking, embeddings, the FAISS index, hybrid retrieval.

The public names are imported lazily so `import knowledge_base.embedder` stays light.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "KnowledgeBase": "knowledge_base.index",
    "Hit": "knowledge_base.answers",
    "Answer": "knowledge_base.answers",
    "Embedder": "knowledge_base.embedder",
    "build_or_load": "knowledge_base.building",
    "default_sources": "knowledge_base.building",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'knowledge_base' has no attribute {name!r}")
