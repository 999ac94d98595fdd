"""Meaning-based evidence beside the word index: how close a query is to each article.

Every article of a locale gives rows to one matrix of unit vectors: its title, each question
variant, its title with its answer, and its title with each sentence of a longer answer. All
are embedded as passages and the customer's message as a query, the asymmetric use e5 was
trained for; on the dev halves this beat embedding titles and questions as queries by 1 to 7
points of top-1. An article's similarity to a query is the best of its rows, where answer rows
get a small bonus (`ANSWER_BONUS`): they say the most about what the article covers, and
FAQ-style articles have no question variants at all.
One matrix-vector product per locale scores every article, about 1 ms for 10,000 rows.

Embedding is the slow part (10-150 ms a text on one thread with e5, growing with its length),
so vectors are reused at three levels: within a process (`VectorMemo`, so rebuilding after a
reload embeds only what changed), on disk (`VectorFile` in the index cache folder, keyed by a
hash of the model and the text, so a restart after an edit embeds only the edited texts), and
in the pickled index itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

import numpy as np

from knowledge_base.articles import Article
from knowledge_base.embedding import Embedder, Kind

log = logging.getLogger(__name__)

# Tuned on the dev halves of Bitext, Banking77 and the multilingual set (0 and 0.04 both worse).
ANSWER_BONUS = 0.02
# Texts embedded per call: big enough to amortise the call, small enough to bound memory.
BATCH = 64
# An answer longer than this adds little meaning and costs time (e5 reads 512 tokens at most).
ANSWER_CHARS = 1200
# Sentence rows: on the multilingual dev half +3 points of top-1 (Bitext and Banking77, whose
# answers are one sentence, unchanged). Shorter fragments say too little to be matched alone.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE = 20
MAX_SENTENCES = 8
# The vector file keeps unused vectors up to this many (about 30 MB of e5 vectors).
PRUNE_FROM = 20_000


def _key(embedder_id: str, kind: Kind, text: str) -> bytes:
    return hashlib.sha256(f"{embedder_id}\0{kind}\0{text}".encode()).digest()[:16]


class VectorFile:
    """Vectors by text hash in one .npz file: read whole at start, written whole (atomically)
    when new vectors were added. numpy's own format, read without pickle."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._rows: dict[bytes, np.ndarray] = {}
        self._changed = False
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            if keys.ndim != 2 or keys.shape[1] != 16 or len(keys) != len(vectors):
                raise ValueError("keys and vectors do not match")
            self._rows = {bytes(k): v for k, v in zip(keys, vectors, strict=True)}
        except FileNotFoundError:
            pass
        except Exception as exc:  # a damaged file only costs the time to embed again
            log.warning("vector cache %s is unreadable (%s); embedding again", path, exc)

    def get(self, key: bytes) -> np.ndarray | None:
        return self._rows.get(key)

    def put(self, key: bytes, vector: np.ndarray) -> None:
        self._rows[key] = vector
        self._changed = True

    def prune(self, keys: set[bytes]) -> None:
        """Forget the vectors of texts no longer used once they outnumber those in use, so the
        file cannot grow without bound as articles are edited. (Several knowledge bases may
        share the folder: theirs are kept while the file is small.)"""
        if len(self._rows) > max(PRUNE_FROM, 2 * len(keys)):
            self._rows = {k: v for k, v in self._rows.items() if k in keys}
            self._changed = True

    def save(self) -> None:
        if not self._changed:
            return
        temporary: str | None = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                prefix=f".{self.path.stem}.", suffix=".tmp", dir=self.path.parent
            )
            keys = np.array([np.frombuffer(k, dtype=np.uint8) for k in self._rows], np.uint8)
            vectors = np.array(list(self._rows.values()), dtype=np.float32)
            with os.fdopen(handle, "wb") as file:
                np.savez(file, keys=keys.reshape(-1, 16), vectors=vectors)
            os.replace(temporary, self.path)
            self._changed = False
        except Exception as exc:  # the cache only saves time: it may never stop a start
            log.warning("vector cache %s cannot be written (%s)", self.path, exc)
            if temporary is not None:
                with suppress(OSError):
                    os.unlink(temporary)


# Article vectors made in this process, per model: shared by every memo of that model.
_made: dict[str, dict[bytes, np.ndarray]] = {}
# A message is read by the search and by the lifecycle judgement, and an earlier message of a
# conversation again at each later one: its vector is kept in memory (never on disk, it may
# hold personal data), the most recent QUERY_MEMORY of them per model.
QUERY_MEMORY = 4096


class _Recent:
    """The vectors of the latest messages, oldest forgotten first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._rows.get(text)
            if vector is not None:
                self._rows.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        with self._lock:
            self._rows[text] = vector
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)


_recent: dict[str, _Recent] = {}


def forget_queries() -> None:
    """Drop the remembered message vectors (a benchmark timing a cold run needs this)."""
    _recent.clear()


class VectorMemo:
    """An embedder that remembers the vectors it made, in memory and optionally on disk."""

    def __init__(self, embedder: Embedder, file: VectorFile | None = None) -> None:
        self.embedder = embedder
        self.file = file
        self._memo = _made.setdefault(embedder.id, {})

    @property
    def _recent(self) -> _Recent:
        return _recent.setdefault(self.embedder.id, _Recent(QUERY_MEMORY))

    @property
    def id(self) -> str:
        return self.embedder.id

    def query(self, text: str) -> np.ndarray:
        """A customer's message: kept in memory only, it may hold personal data."""
        vector = self._recent.get(text)
        if vector is None:
            vector = self.embedder.encode([text], Kind.QUERY)[0]
            self._recent.put(text, vector)
        return vector

    def vectors(self, texts: Sequence[tuple[Kind, str]]) -> np.ndarray:
        keys = [_key(self.embedder.id, kind, text) for kind, text in texts]
        missing: dict[bytes, tuple[Kind, str]] = {}
        for key, item in zip(keys, texts, strict=True):
            if key not in self._memo:
                stored = self.file.get(key) if self.file else None
                if stored is not None:
                    self._memo[key] = stored
                else:
                    missing[key] = item
        if missing:
            log.info("embedding %d text(s) with %s", len(missing), self.embedder.id)
        if self.file is not None:
            for key in keys:  # made earlier in this process: the file should have them too
                if key not in missing and self.file.get(key) is None:
                    self.file.put(key, self._memo[key])
        for kind in Kind:
            batch = [(k, text) for k, (kd, text) in missing.items() if kd is kind]
            for start in range(0, len(batch), BATCH):
                chunk = batch[start : start + BATCH]
                encoded = self.embedder.encode([text for _, text in chunk], kind)
                for (key, _), vector in zip(chunk, encoded, strict=True):
                    self._memo[key] = vector
                    if self.file:
                        self.file.put(key, vector)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self._memo[key] for key in keys]).astype(np.float32, copy=False)

    def forget(self) -> None:
        """Let go of the deleted file's rows (`forget_cached`), so they are not written back.
        The in-process memo is shared by every purpose of the model and stays: only a
        process that just asked for these vectors holds them, and it prunes on save."""
        if self.file is not None:
            self.file = VectorFile(self.file.path)

    def save(self, texts: Sequence[tuple[Kind, str]]) -> None:
        """Write new vectors to the file, if there is one; `texts` are those still in use."""
        if self.file is not None:
            self.file.prune({_key(self.embedder.id, kind, text) for kind, text in texts})
            self.file.save()


_memos: dict[tuple[str, Path | None, str], VectorMemo] = {}


def memo_for(embedder: Embedder, cache_dir: Path | None, purpose: str = "") -> VectorMemo:
    """One memo per model, cache folder and purpose for the whole process (sharing the vectors
    made in it), so a reload of the knowledge base embeds only the texts that changed. Another
    `purpose` (the lifecycle's labelled examples) gets a file of its own, which the articles'
    pruning never touches."""
    key = (embedder.id, cache_dir, purpose)
    if key not in _memos:
        name = hashlib.sha256(embedder.id.encode()).hexdigest()[:16]
        stem = f"vectors-{purpose}-{name}" if purpose else f"vectors-{name}"
        file = VectorFile(cache_dir / f"{stem}.npz") if cache_dir else None
        _memos[key] = VectorMemo(embedder, file)
    return _memos[key]


def forget_cached(cache_dir: Path | None, purpose: str) -> int:
    """Delete the vector files of one purpose (for every model): the gaps' vectors are made
    from customers' questions, so erasing customers erases them too. They are made again, from
    what is left, when next needed. Returns how many files went."""
    if cache_dir is None or not purpose:
        return 0
    gone = 0
    for file in cache_dir.glob(f"vectors-{purpose}-*.npz"):
        file.unlink(missing_ok=True)
        gone += 1
    for memo in [m for (_, folder, kind), m in _memos.items() if folder == cache_dir
                 and kind == purpose]:  # fmt: skip
        memo.forget()
    return gone


def article_rows(article: Article) -> list[tuple[str, bool]]:
    """The texts an article gives, each with whether it comes from the answer: title and
    questions; title and answer; and, for an answer of several sentences, the title with each
    sentence, since a customer often asks about one fact of an answer that covers several."""
    rows = [(text, False) for text in dict.fromkeys((article.title, *article.questions)) if text]
    answer = article.answer.strip()
    if answer:
        rows.append((f"{article.title}\n{answer[:ANSWER_CHARS]}", True))
        sentences = [s for s in _SENTENCE_END.split(answer) if len(s.strip()) >= MIN_SENTENCE]
        if len(sentences) > 1:
            rows += [(f"{article.title}\n{s.strip()}", True) for s in sentences[:MAX_SENTENCES]]
    return rows or [(article.id, False)]  # never empty: each article needs a row


def article_texts(article: Article) -> list[tuple[Kind, str]]:
    """What to embed for an article: every row as a passage."""
    return [(Kind.PASSAGE, text) for text, _ in article_rows(article)]


class SemanticIndex:
    """The vectors of one locale's articles, in the same order as its LocaleIndex."""

    def __init__(self, articles: Sequence[Article], vectors: VectorMemo) -> None:
        texts: list[tuple[Kind, str]] = []
        starts: list[int] = []
        bonus: list[float] = []
        for article in articles:
            starts.append(len(texts))
            for text, is_answer in article_rows(article):
                texts.append((Kind.PASSAGE, text))
                bonus.append(ANSWER_BONUS if is_answer else 0.0)
        self.size = len(articles)
        self._matrix = vectors.vectors(texts)
        self._starts = np.array(starts, dtype=np.intp)
        self._bonus = np.array(bonus, dtype=np.float32)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """Each article's cosine with the query vector (the best of its rows)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        rows = self._matrix @ query + self._bonus
        return np.maximum.reduceat(rows, self._starts)
