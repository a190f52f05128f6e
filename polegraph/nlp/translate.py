"""Machine translation into English behind a small interface, with a local MarianMT backend.

A ``Translator`` turns texts in one source language into English. The backend here runs a MarianMT
model (``transformers``) from a directory the deployment configures
(``POLEGRAPH_TRANSLATION_MODEL_DIR``, e.g. an exported ``opus-mt-pl-en`` or ``opus-mt-mul-en``), offline:
a missing file is an error, never a download. Nothing is loaded at import time.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from polegraph.config import Settings
from polegraph.errors import ConfigError

#: The files a MarianMT model directory holds (saved by ``save_pretrained`` of model and tokenizer).
MARIAN_FILES = ("config.json", "source.spm", "target.spm", "vocab.json")
_OPUS_NAME = re.compile(r"opus-mt-([A-Za-z_]+)-en$")


class Translator(Protocol):
    """Translates texts into English; ``name`` is recorded with what it produced."""

    @property
    def name(self) -> str: ...

    def supports(self, lang: str) -> bool:
        """True when this translator reads ``lang`` (ISO 639-1)."""
        ...

    def translate(self, texts: Sequence[str], source_lang: str) -> list[str]:
        """English translations of ``texts``, in order; all of them are in ``source_lang``."""
        ...


class MarianTranslator:
    """A local MarianMT model (one language pair, or a multilingual ``mul-en`` model)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        languages: frozenset[str] | None = None,
        device: str | None = None,
        batch_size: int = 16,
        max_new_tokens: int = 256,
    ) -> None:
        """Load the model in ``model_dir``; ``languages`` are the source languages it is used for
        (default: what the model says it reads, see ``source_languages``; None there means any)."""
        missing = [name for name in MARIAN_FILES if not (model_dir / name).is_file()]
        if missing:
            raise ConfigError(
                f"{model_dir} is not a MarianMT model directory: {', '.join(missing)} missing",
                hint="set POLEGRAPH_TRANSLATION_MODEL_DIR to a directory saved by MarianMTModel and "
                "MarianTokenizer save_pretrained()",
            )
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from transformers import MarianMTModel, MarianTokenizer

        with warnings.catch_warnings():
            # The tokenizer asks for sacremoses to normalise punctuation first; without it the text
            # goes in as written, which is what an intelligence record should be translated from.
            warnings.filterwarnings(
                "ignore", message="Recommended: pip install sacremoses", category=UserWarning
            )
            self.tokenizer: Any = MarianTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model: Any = MarianMTModel.from_pretrained(str(model_dir), local_files_only=True)
        self.model: Any = model.to(self.device).eval()
        self.model_dir = model_dir
        self.languages = languages if languages is not None else source_languages(model_dir, self.tokenizer)
        # Neither the input nor the output may run past the model's position embeddings.
        self.max_positions = int(getattr(model.config, "max_position_embeddings", 512))
        self.batch_size, self.max_new_tokens = batch_size, min(max_new_tokens, self.max_positions - 2)
        self._name = model_dir.resolve().name

    @property
    def name(self) -> str:
        return self._name

    def supports(self, lang: str) -> bool:
        return lang != "en" and (self.languages is None or lang in self.languages)

    def translate(self, texts: Sequence[str], source_lang: str) -> list[str]:
        import torch

        out: list[str] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            inputs = self.tokenizer(
                batch, return_tensors="pt", padding=True, truncation=True, max_length=self.max_positions
            )
            with torch.inference_mode():
                generated = self.model.generate(**inputs.to(self.device), max_new_tokens=self.max_new_tokens)
            decoded = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
            out.extend(" ".join(str(text).split()) for text in decoded)
        return out


def source_languages(model_dir: Path, tokenizer: Any) -> frozenset[str] | None:
    """The source language a Marian model reads, when it says (None: multilingual or unknown).

    From the tokenizer's ``source_lang``, else the OPUS-MT directory name (``opus-mt-pl-en``); a
    ``mul``, group (``ROMANCE``) or missing code means the model reads several languages.
    """
    code = str(getattr(tokenizer, "source_lang", None) or "")
    if not code:
        match = _OPUS_NAME.search(model_dir.resolve().name)
        code = match.group(1) if match else ""
    return frozenset({code}) if len(code) == 2 and code.isalpha() and code.islower() else None


def load_translator(settings: Settings) -> MarianTranslator | None:
    """The configured translator, or None when ``POLEGRAPH_TRANSLATION_MODEL_DIR`` is not set."""
    if settings.translation_model_dir is None:
        return None
    return MarianTranslator(settings.translation_model_dir, device=settings.embedding_device)
