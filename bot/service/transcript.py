"""Stored messages and feedback turned into the turns the stuck detector reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.service.records import Feedback, Message
from bot.service.vocabulary import Decision, Role
from knowledge_base import KnowledgeBase
from lifecycle.stuck import CLOSING, FEEDBACK, HUMAN, QUESTION, Turn


def turns_of(
    messages: Sequence[Message], feedback: Mapping[int, Feedback], kb: KnowledgeBase
) -> list[Turn]:
    """The customer's side of a conversation in time order: questions, closings, requests
    and feedback (greetings say nothing about being stuck)."""
    turns: list[tuple[datetime, int, Turn]] = []
    for order, message in enumerate(messages):
        if message.role == Role.CUSTOMER and message.decision == Decision.HUMAN:
            turns.append((message.created_at, order, Turn(message.created_at, HUMAN)))
        elif message.role == Role.CUSTOMER and message.decision == Decision.SMALLTALK:
            continue
        elif message.role == Role.CUSTOMER and message.decision == Decision.CLOSING:
            turn = Turn(message.created_at, CLOSING, text=message.text)
            turns.append((message.created_at, order, turn))
        elif message.role == Role.CUSTOMER:
            topic, stages = "", ()
            if message.article_id:
                found = kb.get(message.article_id, message.language)
                topic = found.title if found else message.article_id
                stages = tuple(found.stages) if found else ()
            turn = Turn(
                message.created_at,
                QUESTION,
                text=message.text,
                decision=message.decision,
                article_id=message.article_id,
                topic=topic,
                article_stages=stages,
            )
            turns.append((message.created_at, order, turn))
        elif message.id in feedback:
            rated = feedback[message.id]
            turns.append((rated.at, order, Turn(rated.at, FEEDBACK, helpful=rated.helpful)))
    return [turn for _, _, turn in sorted(turns, key=lambda item: (item[0], item[1]))]
