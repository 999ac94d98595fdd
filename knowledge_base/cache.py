"""A disk cache of the loaded knowledge base and its search index, so an unchanged one starts fast.

Building the index of 10,000 articles takes seconds; unpickling it takes a fraction of that. The
cache key is a hash of everything the result depends on: every file the loader reads (its path
relative to the knowledge base and its bytes, in the loader's order), the loader's other inputs
(the stage ids it checks against and the default locale) and the code version (this package's
source, the Python version, the pickle protocol and the libraries that shape the index), so a
changed article, an added or removed file or an upgrade rebuilds, and nothing else does.

Pickle runs code while it loads, so a cache file is as trusted as this package's own source. That
is acceptable because the cache folder is the operator's own, like KB_PATH and `.env`: it is
created private (0700) and its files are written private (0600). Never point INDEX_CACHE_DIR at a
folder that other users can write.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Collection
from contextlib import suppress
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy
import rapidfuzz
import snowballstemmer
import yaml

from knowledge_base.articles import KnowledgeBase
from knowledge_base.embedding import Embedder
from knowledge_base.loader import article_files, load_knowledge_base
from knowledge_base.search import Searcher
from knowledge_base.semantic import article_texts, memo_for

log = logging.getLogger(__name__)

# The newest protocol (Python 3.8+); 4 unpickles as fast here. Part of the key: a change rebuilds.
PROTOCOL = 5
STALE_TEMPORARY_SECONDS = 3600
_PACKAGE = Path(__file__).resolve().parent


@cache
def code_version() -> str:
    """A hash of what decides how files become an index: this package's source, the Python
    version, the pickle protocol and the versions of the libraries that analyse and parse."""
    digest = hashlib.sha256()
    for source in sorted(_PACKAGE.rglob("*.py")):
        _frame(digest, source.relative_to(_PACKAGE).as_posix().encode())
        _frame(digest, source.read_bytes())
    libraries = (numpy, rapidfuzz, snowballstemmer, yaml)
    for part in (sys.version, str(PROTOCOL), *map(_installed, libraries)):
        _frame(digest, part.encode())
    return digest.hexdigest()


def cache_key(
    path: Path,
    known_stages: Collection[str] | None,
    default_locale: str,
    semantic: str | None = None,
) -> str | None:
    """The key of what `load_knowledge_base` would return, indexed with the embedding model
    `semantic` (its id, or None for words alone); None if a file cannot be read (the loader
    then reports it as a problem, and nothing is cached)."""
    digest = hashlib.sha256()
    # The path as given counts too: every article's `source` (FILE:LINE) is built from it.
    model = semantic or "words only"
    for part in (code_version(), str(path), repr(_stages(known_stages)), default_locale, model):
        _frame(digest, part.encode())
    files = files_digest(path)
    if files is None:
        return None
    _frame(digest, files.encode())
    return digest.hexdigest()


def files_digest(path: Path) -> str | None:
    """A hash of every file the loader reads under `path` (relative path and bytes): it
    changes when an article file is added, removed or edited. None if a file cannot be read."""
    digest = hashlib.sha256()
    root = path if path.is_dir() else path.parent
    try:
        for file in article_files(path):
            _frame(digest, file.relative_to(root).as_posix().encode())
            _frame(digest, file.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def load_indexed(
    path: Path,
    known_stages: Collection[str] | None = None,
    default_locale: str = "en",
    cache_dir: Path | None = None,
    embedder: Embedder | None = None,
) -> tuple[KnowledgeBase, Searcher]:
    """The knowledge base under `path` and its Searcher, from `cache_dir` when nothing changed.

    With `embedder`, the Searcher weighs meaning too; its article vectors are kept in
    `cache_dir` by text, so a changed knowledge base embeds only its changed texts.
    Without `cache_dir`, or when the cache cannot be read or written, it is loaded and indexed
    as without a cache. A knowledge base with problems raises KnowledgeBaseError, as the loader
    does, and is never cached.
    """
    build = (path, known_stages, default_locale, cache_dir, embedder)
    if cache_dir is None:
        return _build(*build)
    model = embedder.id if embedder else None
    key = cache_key(path, known_stages, default_locale, model)
    if key is None:
        return _build(*build)
    folder = _folder_id(path)
    target = cache_dir / f"kb-{folder}-{key[:32]}.pickle"
    cached = _read(target, key)
    if cached is not None and embedder is not None:
        if cached[1].semantic_id != embedder.id:
            log.warning("index cache %s was built with another model; rebuilding", target)
            cached = None
        else:
            cached[1].attach(memo_for(embedder, cache_dir))
    if cached is not None:
        log.debug("knowledge base and index loaded from the cache %s", target)
        return cached
    kb, searcher = _build(*build)
    if cache_key(path, known_stages, default_locale, model) != key:
        # A file changed while it was being loaded: what was built matches neither version.
        log.debug("knowledge base changed while loading; not cached")
        return kb, searcher
    if _write(target, (key, kb, searcher)):
        _remove_older(cache_dir, folder, target)
    return kb, searcher


def _build(
    path: Path,
    known_stages: Collection[str] | None,
    default_locale: str,
    cache_dir: Path | None,
    embedder: Embedder | None,
) -> tuple[KnowledgeBase, Searcher]:
    kb = load_knowledge_base(path, known_stages, default_locale)
    if embedder is None:
        return kb, Searcher(kb)
    memo = memo_for(embedder, cache_dir)
    searcher = Searcher(kb, memo)
    memo.save([text for article in kb for text in article_texts(article)])
    return kb, searcher


def _read(target: Path, key: str) -> tuple[KnowledgeBase, Searcher] | None:
    try:
        data = target.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None  # a miss; a folder that cannot take the new file is warned about then
    except OSError as exc:
        log.warning("index cache %s cannot be read (%s); rebuilding", target, exc)
        return None
    # Unpickling makes millions of small objects and no cycles: pausing the garbage collector
    # cuts the time by a third or more (10k articles: 1.1 s -> 0.6-0.7 s), as building does.
    collecting = gc.isenabled()
    gc.disable()
    try:
        payload = pickle.loads(data)
    except Exception as exc:  # a damaged pickle can raise almost anything
        log.warning(
            "index cache %s is unreadable (%s: %s); rebuilding", target, type(exc).__name__, exc
        )
        return None
    finally:
        if collecting:
            gc.enable()
    if not (
        isinstance(payload, tuple)
        and len(payload) == 3
        and payload[0] == key
        and isinstance(payload[1], KnowledgeBase)
        and isinstance(payload[2], Searcher)
        and payload[2].kb is payload[1]
    ):
        log.warning("index cache %s does not hold this knowledge base's index; rebuilding", target)
        return None
    return payload[1], payload[2]


def _write(target: Path, payload: tuple[str, KnowledgeBase, Searcher]) -> bool:
    """Write atomically (a temporary file in the same folder, then a rename), so a reader sees
    the old file or the whole new one; False, with one warning, if the folder cannot take it."""
    temporary: str | None = None
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp creates the file 0600: the cache holds internal articles and agent notes too.
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent
        )
        with os.fdopen(handle, "wb") as file:
            pickle.dump(payload, file, protocol=PROTOCOL)
        os.replace(temporary, target)
    except Exception as exc:  # the cache only saves time: nothing about it may stop a start
        log.warning("index cache %s cannot be written (%s); starting without it", target, exc)
        if temporary is not None:
            with suppress(OSError):
                os.unlink(temporary)
        return False
    log.debug("knowledge base index cached in %s", target)
    return True


def _remove_older(cache_dir: Path, folder: str, keep: Path) -> None:
    # Only this knowledge base's files: one cache folder may serve several KB_PATHs. Temporary
    # files are left for a while, since another worker may be writing one right now; an old one
    # is what a killed writer left behind.
    stale = time.time() - STALE_TEMPORARY_SECONDS
    with suppress(OSError):
        for old in cache_dir.glob(f"kb-{folder}-*.pickle"):
            if old != keep:
                with suppress(OSError):
                    old.unlink()
        for left in cache_dir.glob(f".kb-{folder}-*.tmp"):
            with suppress(OSError):
                if left.stat().st_mtime < stale:
                    left.unlink()


def _folder_id(path: Path) -> str:
    """Names the cache files of one knowledge base, so a rebuild can find its older ones."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


def _stages(known_stages: Collection[str] | None) -> tuple[str, ...] | None:
    return None if known_stages is None else tuple(sorted(known_stages))


def _frame(digest: hashlib._Hash, part: bytes) -> None:
    # Length first, so that no two different sequences of parts hash the same bytes.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)


def _installed(module: ModuleType) -> str:
    version = getattr(module, "__version__", None)
    if version:
        return f"{module.__name__} {version}"
    # snowballstemmer has no __version__, and importlib.metadata costs more than the whole
    # hashing; the installed wheel's dist-info folder names the version.
    site = Path(module.__file__ or "").resolve().parent.parent
    return " ".join(sorted(p.name for p in site.glob(f"{module.__name__}-*.dist-info")))
