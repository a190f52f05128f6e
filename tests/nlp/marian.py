"""A tiny MarianMT model built from nothing: SentencePiece trained on a few lines, random weights.

It translates nothing meaningfully; it proves that the translation backend loads a Marian model
directory offline and runs it end to end. Nothing is downloaded.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import sentencepiece as spm
import torch
from transformers import MarianConfig, MarianMTModel, MarianTokenizer

CORPUS = [
    "Gdzie jesteś? Czekam pod szkołą.",
    "Już idę, będę za 10 minut",
    "Nie mów nikomu, że się spotykamy.",
    "Będę z kolegą",
    "where are you? I am waiting outside the school.",
    "I am coming, I will be there in ten minutes",
    "do not tell anyone that we are meeting",
]


def build_tiny_marian(folder: Path, seed: int = 0) -> Path:
    """Write a MarianMT model directory (config, weights, spm files, vocab) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    model_proto = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_writer=model_proto, vocab_size=80, model_type="bpe",
        character_coverage=1.0, hard_vocab_limit=False, minloglevel=2,
    )  # fmt: skip
    spm_file = folder / "build.spm"
    spm_file.write_bytes(model_proto.getvalue())
    processor = spm.SentencePieceProcessor(model_file=str(spm_file))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {"</s>": 0, "<unk>": 1}
    for piece in pieces:
        vocab.setdefault(piece, len(vocab))
    vocab["<pad>"] = len(vocab)
    vocab_file = folder / "build-vocab.json"
    vocab_file.write_text(json.dumps(vocab), encoding="utf-8")

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Recommended: pip install sacremoses", category=UserWarning)
        tokenizer = MarianTokenizer(
            str(spm_file), str(spm_file), str(vocab_file), source_lang="pl", target_lang="en"
        )
    tokenizer.save_pretrained(str(folder))
    for scratch in (spm_file, vocab_file):
        scratch.unlink()

    torch.manual_seed(seed)
    config = MarianConfig(
        vocab_size=len(vocab), d_model=16, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
        decoder_attention_heads=2, encoder_ffn_dim=32, decoder_ffn_dim=32, max_position_embeddings=64,
        pad_token_id=vocab["<pad>"], eos_token_id=0, decoder_start_token_id=vocab["<pad>"],
        forced_eos_token_id=0,
    )  # fmt: skip
    model = MarianMTModel(config)
    # Random weights would often stop at once; a few tokens make a "translation" to store and find.
    model.generation_config.min_new_tokens = 3
    model.generation_config.bad_words_ids = [[vocab["<pad>"]], [vocab["<unk>"]]]
    model.save_pretrained(str(folder))
    return folder
