"""Approved articles written into KB_PATH, then the knowledge base reloaded: the file adapter of
bot/service/drafts.py's Publisher."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from knowledge_base import KbProblem

log = logging.getLogger(__name__)


class FolderPublisher:
    """Writes under a knowledge-base folder; a file that makes the knowledge base fail to load
    is taken out again, so the folder stays loadable for every worker's next reload."""

    def __init__(self, folder: Path, reload: Callable[[], list[KbProblem]]) -> None:
        self.folder = folder
        self.reload = reload

    def publish(self, name: str, text: str) -> tuple[str, list[KbProblem]]:
        path = self.folder / name
        if path.exists():
            return str(path), [KbProblem(str(path), 0, "a file of that name exists already")]
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole or not at all: a reload running elsewhere never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".draft-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
        problems = self.reload()
        if problems:
            log.warning("approved article %s refused by the knowledge base; removed again", path)
            path.unlink(missing_ok=True)
            return str(path), problems
        log.info("approved article written to %s and served", path)
        return str(path), []
