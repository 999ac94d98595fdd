"""Repository contract: passing an escalation on, satisfaction verdicts and article drafts."""

from __future__ import annotations

from bot.service.ports import Store
from bot.service.records import ArticleDraft, Satisfaction
from bot.service.vocabulary import EscalationStatus
from tests.integration.contract.helpers import ON_EVERY_STORE, at, customer, escalate, talk

pytestmark = ON_EVERY_STORE


def _claimed(any_store: Store, agent: str = "UAG1") -> int:
    with any_store.unit_of_work() as uow:
        escalation, _ = escalate(uow, talk(uow, customer(uow)))
        assert escalation.id is not None
        uow.repo.claim_escalation(escalation.id, agent, at(1))
        uow.commit()
        return escalation.id


def test_only_the_holder_passes_an_escalation_on_and_unclaiming_reopens_it(
    any_store: Store,
) -> None:
    escalation_id = _claimed(any_store)
    with any_store.unit_of_work() as uow:
        won, seen = uow.repo.hand_over(escalation_id, "UAG2", "UAG3", at(2))
        assert not won and seen.assigned_agent == "UAG1"
        won, seen = uow.repo.hand_over(escalation_id, "UAG1", "UAG2", at(3))
        assert won and (seen.status, seen.assigned_agent) == (EscalationStatus.CLAIMED, "UAG2")
        uow.commit()
    with any_store.unit_of_work() as late:
        with any_store.unit_of_work() as early:
            won, _ = early.repo.hand_over(escalation_id, "UAG2", None, at(4))
            assert won
            early.commit()
        # The second of two hand-overs judged on the same holder loses: it is open now.
        won, seen = late.repo.hand_over(escalation_id, "UAG2", "UAG3", at(5))
        assert not won and seen.status == EscalationStatus.OPEN and seen.assigned_agent is None
        late.commit()
    with any_store.unit_of_work() as uow:
        again, _ = uow.repo.claim_escalation(escalation_id, "UAG3", at(6))
        assert again


def test_satisfaction_is_kept_once_per_escalation_and_counted_per_stage(any_store: Store) -> None:
    escalation_id = _claimed(any_store)
    with any_store.unit_of_work() as uow:
        conversation_id = uow.repo.escalation(escalation_id).conversation_id
        first, ours = uow.repo.add_satisfaction(
            Satisfaction(escalation_id, conversation_id, True, "purchase", at(10))
        )
        assert ours
        again, ours = uow.repo.add_satisfaction(
            Satisfaction(escalation_id, conversation_id, False, "purchase", at(11))
        )
        assert not ours and again.satisfied is True
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert uow.repo.satisfaction_counts(at(0), at(60)) == {"purchase": (1, 1)}
        assert uow.repo.satisfaction_counts(at(11), at(60)) == {}


def test_drafts_are_listed_by_status_in_order(any_store: Store) -> None:
    with any_store.unit_of_work() as uow:
        for n in range(3):
            uow.repo.add_draft(ArticleDraft(
                author="UAG1", article_id=f"draft-{n}", title=f"Draft {n}", questions=["q?"],
                answer="a.", stages=["purchase"], locale="en", status="draft", created_at=at(n),
            ))  # fmt: skip
        uow.commit()
    with any_store.unit_of_work() as uow:
        drafts = uow.repo.drafts_with_status("draft")
        assert [d.article_id for d in drafts] == ["draft-0", "draft-1", "draft-2"]
        drafts[1].status = "approved"
        uow.commit()
    with any_store.unit_of_work() as uow:
        assert [d.article_id for d in uow.repo.drafts_with_status("draft", limit=1)] == ["draft-0"]
        assert uow.repo.draft(drafts[1].id).status == "approved"
