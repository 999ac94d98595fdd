"""Block Kit builders: plain data in, (fallback text, blocks) out. No Slack calls here."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from bot.service.outcomes import Card, ClaimResult, ConversationLine, CustomerProfile, Reply
from bot.service.phrasebook import say
from bot.service.vocabulary import Decision, EscalationStatus, Phrase, Role
from bot.slack.ids import Action, numbered, reply_value
from bot.slack.text import BLOCK_LIMIT, SECTION_LIMIT, escape, split, trim
from knowledge_base import SearchResult

Blocks = list[dict]


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": trim(text)}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": trim(text, 2000)}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        button["style"] = style
    return button


def _limit(blocks: Blocks) -> Blocks:
    return blocks[:BLOCK_LIMIT]


# -- customers ---------------------------------------------------------------------------


def customer_reply(reply: Reply) -> tuple[str, Blocks]:
    """The app's answer to a customer: the article with feedback buttons, suggestions as
    buttons, or "no answer" with an offer of a person."""
    language = reply.language
    human = reply_value(reply.message_id)
    blocks: Blocks = []
    if reply.decision == Decision.ANSWER and reply.article is not None:
        blocks.append(_section(f"*{reply.article.title}*"))
        blocks += [_section(part) for part in split(reply.text)]
        if reply.escalation is None:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(
                            say(Phrase.BTN_HELPFUL, language),
                            Action.HELPFUL,
                            str(reply.message_id),
                            "primary",
                        ),
                        _button(
                            say(Phrase.BTN_NOT_HELPFUL, language),
                            Action.NOT_HELPFUL,
                            str(reply.message_id),
                        ),
                        _button(say(Phrase.BTN_HUMAN, language), Action.TALK_TO_HUMAN, human),
                    ],
                }  # fmt: skip
            )
    else:
        blocks += [_section(part) for part in split(reply.text)]
        if reply.suggestions:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(
                            article.title,
                            numbered(Action.PICK_SUGGESTION, index),
                            reply_value(reply.message_id, article.id),
                        )
                        for index, article in enumerate(reply.suggestions[:3])
                    ]
                    + [_button(say(Phrase.BTN_HUMAN, language), Action.TALK_TO_HUMAN, human)],
                }
            )
        elif reply.escalation is None and (reply.decision == Decision.NONE or reply.offer_human):
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(say(Phrase.BTN_HUMAN, language), Action.TALK_TO_HUMAN, human)
                    ],
                }
            )
    return trim(reply.text, 3000), _limit(blocks)


def customer_message_for_agents(user: str, text: str) -> str:
    """A customer's further message, shown in the escalation thread (escaped: no pings)."""
    return f"*<@{user}>:* {escape(text)}"


# -- agents ------------------------------------------------------------------------------


def slack_date(at: datetime) -> str:
    """A time every reader sees in their own time zone (Slack's date formatting), with a UTC
    fallback for clients that cannot."""
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>"


def card_status(card: Card) -> str:
    """Where the escalation is: waiting (since when), with whom, or resolved."""
    if card.status == EscalationStatus.OPEN:
        return f":rotating_light: *Waiting for a person* since {slack_date(card.created_at)}"
    if card.status == EscalationStatus.CLAIMED:
        line = f":raising_hand: *With <@{card.assigned_agent}>*"
        if card.waiting_since is not None:
            return f"{line} · the customer is waiting since {slack_date(card.waiting_since)}"
        return f"{line} · answered, nothing waiting"
    if card.status == EscalationStatus.RESOLVED:
        by = f" by <@{card.assigned_agent}>" if card.assigned_agent else ""
        when = f" {slack_date(card.resolved_at)}" if card.resolved_at else ""
        return f":white_check_mark: *Resolved*{by}{when}, handed back to the app"
    return escape(card.status)


def escalation_card(card: Card, mention: str = "") -> tuple[str, Blocks]:
    """The card in the agents' channel: who, stage, why, what they said, what was tried, and
    where it stands now (kept up to date as the conversation goes on)."""
    fallback = f"Escalation #{card.escalation_id}: <@{card.customer_user}> ({card.stage_name})"
    blocks: Blocks = [
        _section(f"{mention + ' ' if mention else ''}{card_status(card)}"
                 f" · escalation #{card.escalation_id}"),  # fmt: skip
        _section(
            f"*Customer:* <@{card.customer_user}>    *Stage:* {escape(card.stage_name)}\n"
            "*Why:* " + escape("; ".join(card.reasons) or "no reasons recorded")
        ),
    ]
    if card.recent:
        lines = [
            f"{'_agent_' if role == Role.AGENT else '>'} {escape(text)[:300]}"
            for role, text in card.recent
        ]
        blocks.append(_section("*Last messages*\n" + "\n".join(lines)))
    if card.articles_tried:
        tried = ", ".join(f"{escape(title)} (`{aid}`)" for aid, title in card.articles_tried)
        blocks.append(_context(f"Articles already tried: {tried}"))
    value = str(card.escalation_id)
    if card.status == EscalationStatus.OPEN:
        blocks.append({"type": "actions",
                       "elements": [_button("Claim", Action.CLAIM, value, "primary")]})  # fmt: skip
        blocks.append(_context("Or react :eyes: to claim."))
    elif card.status == EscalationStatus.CLAIMED:
        reassign = {
            "type": "users_select",
            "action_id": Action.REASSIGN,
            "placeholder": {"type": "plain_text", "text": "Reassign to…"},
        }
        blocks.append({"type": "actions", "block_id": f"holder:{value}", "elements": [
            _button("Resolve", Action.RESOLVE, value, "primary"),
            _button("Unclaim", Action.UNCLAIM, value),
            reassign,
        ]})  # fmt: skip
        blocks.append(_context("Reply in this thread to answer the customer; replies from "
                               "anyone but the assigned agent stay internal. React "
                               ":white_check_mark: to resolve."))  # fmt: skip
    elif card.status == EscalationStatus.RESOLVED:
        blocks.append({"type": "actions", "elements": [
            _button("Save as article", Action.SAVE_ARTICLE, value)]})  # fmt: skip
        blocks.append(_context("An answer others will need? Save it as an article draft (or "
                               "use *Save as article* on a reply in this thread)."))  # fmt: skip
    return fallback, _limit(blocks)


def satisfaction_question(escalation_id: int, language: str | None) -> tuple[str, Blocks]:
    """After an agent resolved it: one tap tells the team whether it was solved."""
    question = say(Phrase.CSAT_QUESTION, language)
    value = str(escalation_id)
    return question, [
        _section(question),
        {"type": "actions", "elements": [
            _button(":+1: " + say(Phrase.BTN_SATISFIED, language), Action.SATISFIED, value),
            _button(":-1: " + say(Phrase.BTN_UNSATISFIED, language), Action.UNSATISFIED, value),
        ]},
    ]  # fmt: skip


def kb_results(result: SearchResult, can_send: bool) -> tuple[str, Blocks]:
    """`/kb` for an agent: the articles worded exactly as customers get them, with notes."""
    if not result.hits:
        text = f"No article matches “{escape(result.query)}”."
        return text, [_section(text)]
    blocks: Blocks = [
        _context(
            f"`/kb {escape(result.query)}` · language {result.language} · "
            f"customers would get: *{result.decision}*"
        )  # fmt: skip
    ]
    for index, hit in enumerate(result.hits):
        article = hit.article
        audience = "" if article.is_public else " · :lock: internal"
        blocks.append(_section(f"*{article.title}*  (`{article.id}`, {article.locale}, "
                               f"score {hit.score:.2f}{audience})"))  # fmt: skip
        blocks += [_section(part) for part in split(article.answer)]
        if article.agent_notes:
            blocks.append(_context(f":memo: Agent notes: {article.agent_notes}"))
        if can_send and article.is_public:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(
                            "Send to customer", numbered(Action.SEND_ARTICLE, index), article.id
                        )
                    ],
                }  # fmt: skip
            )
        blocks.append({"type": "divider"})
    return f"{len(result.hits)} article(s) for “{result.query}”", _limit(blocks)


# -- leads -------------------------------------------------------------------------------


def conversation_list(
    title: str, lines: Sequence[ConversationLine], total: int | None = None,
    file_note: str = "",
) -> tuple[str, Blocks]:
    """Conversations for `/lifecycle stage` and `/lifecycle stuck`: whole rows packed into
    sections (a row is never cut), as many as one message holds, and how many more there are
    (of `total`, when `lines` are the first of more; `file_note` says where the rest are)."""
    if not lines:
        return f"{title}: none", [_section(f"*{escape(title)}*: none right now.")]
    rows = []
    for line in lines:
        who = f"<@{line.user_id}>"
        extra = f" · escalation #{line.escalation_id}" if line.escalation_id else ""
        if line.assigned_agent:
            extra += f" (with <@{line.assigned_agent}>)"
        said = escape(line.last_message[:120])  # cut before escaping: never inside "&amp;"
        rows.append(f"• {who} · {line.status} · {line.waiting_minutes:.0f} min{extra}\n   _{said}_")
    blocks: Blocks = [_section(f"*{escape(title)}*")]
    room = BLOCK_LIMIT - 2  # the title, and the line saying how many were left out
    shown = 0
    for part in _packed(rows):
        if len(blocks) > room:
            break
        blocks.append(_section("\n".join(part)))
        shown += len(part)
    left = (total if total is not None else len(rows)) - shown
    if left > 0:
        blocks.append(_context(f"…and {left} more {file_note or 'not shown here.'}"))
    return title, blocks


def conversations_csv(lines: Sequence[ConversationLine]) -> str:
    """Every row of a list, for the file sent when the message holds only the first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["customer", "stage", "status", "waiting_minutes", "escalation",
                     "agent", "last_message"])  # fmt: skip
    for line in lines:
        writer.writerow([line.user_id, line.stage, line.status, f"{line.waiting_minutes:.0f}",
                         line.escalation_id or "", line.assigned_agent or "",
                         line.last_message])  # fmt: skip
    return out.getvalue()


def _packed(rows: Sequence[str]) -> list[list[str]]:
    """Rows grouped so each group fits one section."""
    groups: list[list[str]] = [[]]
    size = 0
    for row in rows:
        row = row[:SECTION_LIMIT]
        if groups[-1] and size + 1 + len(row) > SECTION_LIMIT:
            groups.append([])
            size = 0
        groups[-1].append(row)
        size += len(row) + 1
    return groups


def customer_profile(profile: CustomerProfile, stage_name: str) -> tuple[str, Blocks]:
    """`/lifecycle customer @user`: stage history and scores."""
    history = [
        f"• {change.at:%Y-%m-%d %H:%M} {change.from_stage or '(new)'} → {change.to_stage}"
        f" ({change.source}{', ' + escape(change.reason) if change.reason else ''})"
        for change in profile.history[-15:]
    ]
    risk = f"{profile.risk.score:.2f}" + (
        f" ({escape('; '.join(profile.risk.reasons))})" if profile.risk.reasons else ""
    )
    text = (
        f"*<@{profile.user_id}>* is in *{escape(stage_name)}* ({profile.stage_source})\n"
        f"Lead temperature: *{profile.lead.label}* ({profile.lead.score}) · "
        f"dissolution risk: {risk}"
    )
    blocks = [_section(text)]
    if history:
        blocks.append(_section("*Stage history*\n" + "\n".join(history)))
    return f"Customer <@{profile.user_id}>: {stage_name}", blocks


def plain(text: str) -> tuple[str, Blocks]:
    return text, [_section(text)]


# -- App Home ----------------------------------------------------------------------------


def claim_refusal(result: ClaimResult) -> str:
    """Why a claim was not won, never naming nobody (`<@None>`)."""
    if result.holder:
        return f"<@{result.holder}> already has this conversation."
    if result.card.status == EscalationStatus.RESOLVED:
        return "This conversation was resolved already; nobody needs to claim it."
    return "This conversation cannot be claimed right now."
