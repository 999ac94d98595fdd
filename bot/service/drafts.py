"""Agents' answers become articles: prefilled from an escalation, saved as a draft, approved
(or rejected) by a lead; an approved draft is written into the knowledge base and served to
customers and agents at once. Slack-free; the file and the reload are the publisher's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.service.actors import Actor, require_lead, require_staff
from bot.service.errors import InvalidDraftError, NotAllowedError, NotFoundError
from bot.service.knowledge import KnowledgeHolder
from bot.service.ports import Store
from bot.service.records import ArticleDraft, Message
from bot.service.vocabulary import Decision, DraftStatus, Role
from knowledge_base import KbProblem
from knowledge_base.drafting import article_yaml, slug
from knowledge_base.loader import check_article_text
from lifecycle import StageModel

MAX_QUESTIONS = 6  # the customer's latest questions offered as the article's `questions`
APPROVED_FOLDER = "approved"
# A problem's message starts with the field it is about, where the validator names one.
FIELDS = ("id", "title", "questions", "answer", "stages", "locale")


@dataclass(frozen=True)
class DraftForm:
    """What an agent edits before saving a draft (and what the modal is prefilled with)."""

    article_id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    stages: tuple[str, ...]
    locale: str
    escalation_id: int | None = None
    conversation_id: int | None = None


class Publisher(Protocol):
    """Writes an approved article where the knowledge base is read from, and reloads it."""

    def publish(self, name: str, text: str) -> tuple[str, list[KbProblem]]:
        """Write `text` as the file `name` under the knowledge base and reload; returns the
        path and, when the reloaded knowledge base is refused, its problems (the file is
        then removed again and the last good knowledge base stays)."""
        ...


class Drafts:
    """Use cases of agents (save) and leads (approve, reject) on article drafts."""

    def __init__(
        self,
        store: Store,
        knowledge: KnowledgeHolder,
        model: StageModel,
        default_locale: str = "en",
        publisher: Publisher | None = None,
    ) -> None:
        self.store = store
        self.knowledge = knowledge
        self.model = model
        self.default_locale = default_locale
        self.publisher = publisher

    def prefill(self, actor: Actor, escalation_id: int, answer_ts: str | None = None) -> DraftForm:
        """The form for an escalation: the customer's questions, the agent's reply (the one at
        `answer_ts`, else the latest), the conversation's stage and language."""
        require_staff(actor, "Only support agents can save answers as articles.")
        with self.store.unit_of_work() as uow:
            escalation = uow.repo.escalation(escalation_id)
            if escalation is None:
                raise NotFoundError(f"Escalation {escalation_id} does not exist.")
            conversation = uow.repo.conversation(escalation.conversation_id)
            assert conversation is not None and conversation.id is not None
            customer = uow.repo.customer_by_id(conversation.customer_id)
            messages = uow.repo.messages(conversation.id)
            # Read inside the unit of work: leaving it expires the rows.
            questions = _questions(messages)
            replies = [m for m in messages if m.role == Role.AGENT and not m.article_id]
            chosen = next((m for m in replies if answer_ts and m.slack_ts == answer_ts), None)
            if chosen is None and answer_ts:
                raise NotFoundError("That message is not an agent's reply to this customer.")
            answer = chosen or (replies[-1] if replies else None)
            language = (customer.locale if customer else None) or next(
                (m.language for m in reversed(messages) if m.language), self.default_locale)
            title = questions[0] if questions else ""
            title = title[:1].upper() + title[1:]
            return DraftForm(
                article_id=slug(title), title=title, questions=tuple(questions),
                answer=answer.text if answer else "", stages=(escalation.stage,),
                locale=language, escalation_id=escalation.id, conversation_id=conversation.id,
            )  # fmt: skip

    def submit(self, actor: Actor, form: DraftForm, at: datetime) -> ArticleDraft:
        """Save the agent's edited form as a draft for the leads; refused with the
        validator's messages when it would not load."""
        require_staff(actor, "Only support agents can save answers as articles.")
        self._check(form)
        with self.store.unit_of_work() as uow:
            draft = uow.repo.add_draft(ArticleDraft(
                author=actor.user_id, article_id=form.article_id, title=form.title,
                questions=list(form.questions), answer=form.answer, stages=list(form.stages),
                locale=form.locale, status=DraftStatus.DRAFT, created_at=at,
                conversation_id=form.conversation_id, escalation_id=form.escalation_id,
            ))  # fmt: skip
            uow.commit()
            return _copy(draft)

    def pending(self, actor: Actor, limit: int = 10) -> list[ArticleDraft]:
        """Drafts waiting for a lead, oldest first."""
        require_lead(actor, "Only team leads review drafts.")
        with self.store.unit_of_work() as uow:
            return [_copy(d) for d in uow.repo.drafts_with_status(DraftStatus.DRAFT, limit)]

    def approve(self, actor: Actor, draft_id: int, at: datetime) -> ArticleDraft:
        """Write the draft into the knowledge base and serve it from now on."""
        require_lead(actor, "Only team leads approve drafts.")
        if self.publisher is None:
            raise NotAllowedError("This app cannot write articles: KB_PATH is not a folder.")
        with self.store.unit_of_work() as uow:
            draft = self._draft(uow.repo.draft(draft_id))
            form = _form(draft)
            text = self._check(form)
            path, problems = self.publisher.publish(_file_name(form), text)
            if problems:
                raise InvalidDraftError([("", f"{p.file}:{p.line}: {p.message}")
                                         for p in problems])  # fmt: skip
            _decide(draft, DraftStatus.APPROVED, actor, at)
            draft.path = path
            uow.commit()
            return _copy(draft)

    def reject(self, actor: Actor, draft_id: int, at: datetime) -> ArticleDraft:
        """Set the draft aside: nothing is written, nothing changes for customers."""
        require_lead(actor, "Only team leads reject drafts.")
        with self.store.unit_of_work() as uow:
            draft = self._draft(uow.repo.draft(draft_id))
            _decide(draft, DraftStatus.REJECTED, actor, at)
            uow.commit()
            return _copy(draft)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _draft(draft: ArticleDraft | None) -> ArticleDraft:
        if draft is None:
            raise NotFoundError("That draft does not exist.")
        if draft.status != DraftStatus.DRAFT:
            raise NotAllowedError(f"That draft was {draft.status} already.")
        return draft

    def _check(self, form: DraftForm) -> str:
        """The article's YAML, or InvalidDraftError with the validator's messages by field."""
        text = article_yaml(article_id=form.article_id, locale=form.locale, title=form.title,
                            questions=form.questions, stages=form.stages,
                            answer=form.answer)  # fmt: skip
        _, problems = check_article_text(text, _file_name(form), self.model.known_ids)
        found: list[tuple[str, str]] = [(_field_of(p.message), p.message) for p in problems]
        taken = self.knowledge.kb.get(form.article_id, form.locale)
        if not found and taken is not None and taken.locale == form.locale:
            found.append(("id", f"an article {form.article_id!r} in {form.locale!r} exists "
                                f"already ({taken.source}): choose another id"))  # fmt: skip
        if found:
            raise InvalidDraftError(found)
        return text


def _questions(messages: Sequence[Message]) -> list[str]:
    """What the customer asked, newest last, without the app's placeholders."""
    asked = [m.text.strip() for m in messages
             if m.role == Role.CUSTOMER and m.decision != Decision.HUMAN
             and not m.text.startswith("(")]  # fmt: skip
    return list(dict.fromkeys(a for a in asked if a))[-MAX_QUESTIONS:]


def _copy(draft: ArticleDraft) -> ArticleDraft:
    """A plain copy to hand out: the stored row expires when its unit of work ends."""
    return replace(draft)


def _decide(draft: ArticleDraft, status: DraftStatus, actor: Actor, at: datetime) -> None:
    draft.status, draft.decided_by, draft.decided_at = status, actor.user_id, at


def _form(draft: ArticleDraft) -> DraftForm:
    return DraftForm(draft.article_id, draft.title, tuple(draft.questions), draft.answer,
                     tuple(draft.stages), draft.locale, draft.escalation_id,
                     draft.conversation_id)  # fmt: skip


def _file_name(form: DraftForm) -> str:
    return f"{APPROVED_FOLDER}/{form.article_id}.{form.locale}.yaml"


def _field_of(message: str) -> str:
    """Which form field a validator message is about ('' when it names none)."""
    for name in FIELDS:
        if f"{name!r}" in message or message.startswith(f"bad {name}"):
            return name
    if "unknown stage" in message:
        return "stages"
    return ""
