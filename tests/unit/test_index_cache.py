"""The index cache: an unchanged knowledge base starts from disk, anything else is rebuilt."""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.bootstrap import build_services, load_lifecycle, reload_knowledge_base
from bot.config import Settings, SettingsError, load_settings
from knowledge_base import KnowledgeBaseError, Searcher, cache, load_indexed, load_knowledge_base
from tests.fakes.store import FakeStore

STAGES = ("evaluation", "purchase", "support")
PAYMENTS = """articles:
  - id: payment-methods
    title: Which payment methods can I use?
    questions: [how can I pay?, do you take PayPal?]
    stages: [purchase]
    answer: Cards, PayPal and bank transfer.
  - id: payment-methods
    locale: it
    title: Come posso pagare?
    answer: Carte, PayPal e bonifico.
"""
SHIPPING = """- id: shipping-time
  title: How long does delivery take?
  questions: [when will my order arrive?]
  answer: Two to four working days.
"""
RETURNS = """---
id: returns
---
# Can I send something back?
Within 30 days, in its box.
"""
QUERIES = ("how can I pay", "when does my parcel arrive", "send it back", "come pagare", "weather")


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    write(folder, "payments.yaml", PAYMENTS)
    write(folder, "shipping/shipping.yml", SHIPPING)
    write(folder, "returns.md", RETURNS)
    return folder


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts Searcher builds: a cache hit builds none."""
    calls: list[int] = []
    build = Searcher.__init__

    def counted(self: Searcher, *args: object, **kwargs: object) -> None:
        calls.append(1)
        build(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Searcher, "__init__", counted)
    return calls


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(kb: Path, cache_dir: Path | None) -> Searcher:
    return load_indexed(kb, STAGES, "en", cache_dir)[1]


def cache_files(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*")) if cache_dir.exists() else []


def results(searcher: Searcher) -> list[tuple[str, str, list[tuple[str, str, float]]]]:
    found = []
    for query in QUERIES:
        result = searcher.search(query, audience="agent")
        hits = [(h.article.id, h.article.locale, h.score) for h in result.hits]
        found.append((result.language, str(result.decision), hits))
    return found


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_second_start_comes_from_the_cache_and_searches_the_same(
    kb: Path, tmp_path: Path, builds: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="knowledge_base.cache")
    cache_dir = tmp_path / "cache"
    first = load(kb, cache_dir)
    assert len(builds) == 1 and len(cache_files(cache_dir)) == 1
    second = load(kb, cache_dir)
    assert len(builds) == 1, "a hit must not build the index again"
    assert "loaded from the cache" in caplog.text
    uncached = Searcher(load_knowledge_base(kb, STAGES))
    assert results(second) == results(first) == results(uncached)
    assert second.kb == uncached.kb and second.kb is not first.kb
    assert warnings(caplog) == []


def test_the_cache_folder_and_its_files_are_private(kb: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "new" / "cache"
    load(kb, cache_dir)
    assert cache_dir.stat().st_mode & 0o777 == 0o700
    assert [f.stat().st_mode & 0o777 for f in cache_files(cache_dir)] == [0o600]


def change_an_article(kb: Path) -> None:
    write(kb, "shipping/shipping.yml", SHIPPING.replace("Two to four", "Three to five"))


def add_a_file(kb: Path) -> None:
    write(kb, "deep/er/gift.yaml", "- id: gift-cards\n  title: Gift cards?\n  answer: Yes.\n")


def remove_a_file(kb: Path) -> None:
    (kb / "returns.md").unlink()


def rename_a_file(kb: Path) -> None:
    (kb / "returns.md").rename(kb / "sending-back.md")


@pytest.mark.parametrize("change", [change_an_article, add_a_file, remove_a_file, rename_a_file])
def test_a_changed_knowledge_base_is_rebuilt_and_replaces_its_old_cache(
    kb: Path, tmp_path: Path, builds: list[int], change: Callable[[Path], None]
) -> None:
    cache_dir = tmp_path / "cache"
    before = load(kb, cache_dir)
    old_files = cache_files(cache_dir)
    change(kb)
    after = load(kb, cache_dir)
    assert len(builds) == 2
    assert after.kb == load_knowledge_base(kb, STAGES)
    assert after.kb != before.kb
    files = cache_files(cache_dir)
    assert len(files) == 1 and files != old_files, "the older cache file is removed"
    load(kb, cache_dir)
    assert len(builds) == 2, "and the new one is a hit"


def test_files_the_loader_skips_do_not_rebuild(kb: Path, tmp_path: Path, builds: list[int]) -> None:
    cache_dir = tmp_path / "cache"
    load(kb, cache_dir)
    write(kb, "README.md", "# How to write articles\n")
    write(kb, "notes.txt", "not an article\n")
    write(kb, ".drafts/next.yaml", "- id: draft\n")
    load(kb, cache_dir)
    assert len(builds) == 1


@pytest.mark.parametrize(
    ("stages", "locale"),
    [(("purchase", "support", "evaluation", "awareness"), "en"), (STAGES, "it")],
)
def test_other_loader_inputs_are_part_of_the_key(
    kb: Path, tmp_path: Path, builds: list[int], stages: tuple[str, ...], locale: str
) -> None:
    cache_dir = tmp_path / "cache"
    load_indexed(kb, STAGES, "en", cache_dir)
    kb_again, _ = load_indexed(kb, stages, locale, cache_dir)
    assert len(builds) == 2
    assert kb_again.default_locale == locale


def test_stages_in_another_order_are_the_same_key(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    load_indexed(kb, STAGES, "en", tmp_path / "cache")
    load_indexed(kb, tuple(reversed(STAGES)), "en", tmp_path / "cache")
    assert len(builds) == 1


def test_a_new_code_version_is_rebuilt(
    kb: Path, tmp_path: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    load(kb, cache_dir)
    monkeypatch.setattr(cache, "code_version", lambda: "the next release")
    load(kb, cache_dir)
    assert len(builds) == 2
    assert len(cache_files(cache_dir)) == 1


def test_the_code_version_covers_this_package_and_python() -> None:
    cache.code_version.cache_clear()
    version = cache.code_version()
    assert len(version) == 64 and version == cache.code_version()


def garbage(data: bytes) -> bytes:
    return b"\x00not a pickle at all\xff" * 10


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def wrong_type(data: bytes) -> bytes:
    return pickle.dumps({"kb": "a dict, not the index"})


def someone_elses(data: bytes) -> bytes:
    key, kb, searcher = pickle.loads(data)
    return pickle.dumps(("another key", kb, searcher))


def empty(data: bytes) -> bytes:
    return b""


@pytest.mark.parametrize("damage", [garbage, truncated, wrong_type, someone_elses, empty])
def test_a_damaged_cache_file_warns_once_and_is_rebuilt(
    kb: Path,
    tmp_path: Path,
    builds: list[int],
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[bytes], bytes],
) -> None:
    cache_dir = tmp_path / "cache"
    expected = results(load(kb, cache_dir))
    [file] = cache_files(cache_dir)
    file.write_bytes(damage(file.read_bytes()))
    searcher = load(kb, cache_dir)
    assert len(builds) == 2
    assert results(searcher) == expected
    [warning] = warnings(caplog)
    assert str(file) in warning and "rebuilding" in warning
    caplog.clear()
    load(kb, cache_dir)
    assert len(builds) == 2 and warnings(caplog) == [], "the rebuilt file is good again"


def test_an_unwritable_cache_folder_warns_once_and_still_starts(
    kb: Path, tmp_path: Path, builds: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    # A folder below a plain file can never be created, whoever runs the tests (root included).
    blocker = write(tmp_path, "not-a-folder", "")
    cache_dir = blocker / "cache"
    searcher = load(kb, cache_dir)
    assert searcher.search("how can I pay").best.article.id == "payment-methods"  # type: ignore[union-attr]
    [warning] = warnings(caplog)
    assert "cannot be written" in warning and str(cache_dir) in warning
    assert blocker.read_text() == ""


def test_without_a_cache_folder_nothing_is_written(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    before = sorted(tmp_path.rglob("*"))
    load(kb, None)
    load(kb, None)
    assert len(builds) == 2
    assert sorted(tmp_path.rglob("*")) == before


def test_an_invalid_knowledge_base_raises_as_without_cache_and_is_never_cached(
    kb: Path, tmp_path: Path
) -> None:
    write(kb, "broken.yaml", "- id: Bad Id\n  title: t\n  answer: x\n  stages: [moon]\n")
    with pytest.raises(KnowledgeBaseError) as uncached:
        load_knowledge_base(kb, STAGES)
    cache_dir = tmp_path / "cache"
    for _ in range(2):
        with pytest.raises(KnowledgeBaseError) as cached:
            load(kb, cache_dir)
        assert cached.value.problems == uncached.value.problems
        assert str(cached.value) == str(uncached.value)
    assert cache_files(cache_dir) == []


def test_a_single_file_knowledge_base_is_cached_too(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    cache_dir = tmp_path / "cache"
    load(kb / "payments.yaml", cache_dir)
    load(kb / "payments.yaml", cache_dir)
    assert len(builds) == 1
    write(kb, "payments.yaml", PAYMENTS.replace("bank transfer", "cash"))
    assert "cash" in load(kb / "payments.yaml", cache_dir).kb.get("payment-methods").answer  # type: ignore[union-attr]
    assert len(builds) == 2


def test_two_knowledge_bases_share_a_cache_folder_without_evicting_each_other(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    other = tmp_path / "other-kb"
    write(other, "shipping.yaml", SHIPPING)
    cache_dir = tmp_path / "cache"
    for folder in (kb, other, kb, other):
        load(folder, cache_dir)
    assert len(builds) == 2
    assert len(cache_files(cache_dir)) == 2


def test_a_file_changed_while_loading_is_not_cached(
    kb: Path, tmp_path: Path, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_while_a_writer_saves = cache.load_knowledge_base

    def loaded_then_changed(*args: object) -> object:
        loaded = load_while_a_writer_saves(*args)  # type: ignore[arg-type]
        change_an_article(kb)
        return loaded

    monkeypatch.setattr(cache, "load_knowledge_base", loaded_then_changed)
    load(kb, tmp_path / "cache")
    assert cache_files(tmp_path / "cache") == []


def test_a_temporary_file_a_killed_writer_left_is_removed_once_old(
    kb: Path, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    load(kb, cache_dir)
    [file] = cache_files(cache_dir)
    old, fresh = (cache_dir / f".{file.stem}.{name}.tmp" for name in ("old", "fresh"))
    for left in (old, fresh):
        left.write_bytes(b"half a pickle")
    os.utime(old, (time.time() - 2 * cache.STALE_TEMPORARY_SECONDS,) * 2)
    add_a_file(kb)
    load(kb, cache_dir)
    assert not old.exists() and fresh.exists(), "a fresh one may be another worker's"


# --- the setting and the app's start-up and reload -------------------------------------------


def test_the_cache_defaults_to_xdg_cache_home_then_to_the_home_folder(tmp_path: Path) -> None:
    xdg = load_settings({"XDG_CACHE_HOME": str(tmp_path)}, dotenv=None)
    assert xdg.index_cache_dir == tmp_path / "supportbot"
    for environ in ({}, {"XDG_CACHE_HOME": "relative/cache"}):  # the XDG spec ignores relative
        home = load_settings(environ, dotenv=None)
        assert home.index_cache_dir == Path.home() / ".cache" / "supportbot"
    assert Settings().index_cache_dir is None, "a bare Settings() writes no cache"


def test_index_cache_dir_off_disables_the_cache_and_a_file_is_refused(tmp_path: Path) -> None:
    chosen = load_settings({"INDEX_CACHE_DIR": str(tmp_path / "idx")}, dotenv=None)
    assert chosen.index_cache_dir == tmp_path / "idx"
    for off in ("off", "OFF"):
        assert load_settings({"INDEX_CACHE_DIR": off}, dotenv=None).index_cache_dir is None
    with pytest.raises(SettingsError, match="^INDEX_CACHE_DIR: .* is not a folder") as error:
        load_settings({"INDEX_CACHE_DIR": str(write(tmp_path, "file", ""))}, dotenv=None)
    assert "\n" not in str(error.value)


def test_the_app_with_index_cache_dir_off_writes_nothing(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    xdg = tmp_path / "xdg"
    settings = load_settings(
        {"KB_PATH": str(kb), "INDEX_CACHE_DIR": "off", "XDG_CACHE_HOME": str(xdg)}, dotenv=None
    )
    for _ in range(2):
        services = build_services(settings, FakeStore())
    assert len(builds) == 2
    assert not xdg.exists()
    assert services.knowledge.searcher.search("how can I pay").best is not None


def test_start_up_and_reload_use_the_cache_and_a_bad_reload_keeps_the_last_good(
    kb: Path, tmp_path: Path, builds: list[int]
) -> None:
    settings = load_settings(
        {"KB_PATH": str(kb), "XDG_CACHE_HOME": str(tmp_path / "xdg")}, dotenv=None
    )
    build_services(settings, FakeStore())
    services = build_services(settings, FakeStore())
    assert len(builds) == 1, "the second start is a hit"
    assert cache_files(tmp_path / "xdg" / "supportbot")
    first = services.knowledge.searcher
    assert reload_knowledge_base(services, settings) == []
    assert len(builds) == 1 and services.knowledge.searcher is not first
    add_a_file(kb)
    assert reload_knowledge_base(services, settings) == []
    assert len(builds) == 2 and services.knowledge.kb.get("gift-cards") is not None
    good = services.knowledge.searcher
    write(kb, "broken.yaml", "- id: Bad Id\n")
    problems = reload_knowledge_base(services, settings)
    assert problems and all(p.file.endswith("broken.yaml") for p in problems)
    assert services.knowledge.searcher is good


def test_the_stage_model_is_what_the_cached_knowledge_base_is_checked_against(
    kb: Path, tmp_path: Path
) -> None:
    settings = load_settings({"KB_PATH": str(kb), "XDG_CACHE_HOME": str(tmp_path)}, dotenv=None)
    model, _ = load_lifecycle(settings)
    write(kb, "staged.yaml", "- id: moon\n  title: t\n  answer: x\n  stages: [moon]\n")
    with pytest.raises(KnowledgeBaseError, match="unknown stage 'moon'"):
        build_services(settings, FakeStore())
    assert "moon" not in model.known_ids
