"""Block Kit for article drafts: the *Save as article* modal agents edit, and the leads'
review list on the App Home. Plain data in, blocks out; no Slack calls."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.service.drafts import DraftForm
from bot.service.records import ArticleDraft
from bot.slack.ids import Action, View
from bot.slack.text import escape
from lifecycle import StageModel

LOCALES = ("en", "it", "de", "pl")
INPUT_LIMIT = 3000  # characters a plain_text_input holds
MAX_DRAFTS = 10  # drafts listed on the Home tab (each takes three blocks)
FIELDS = ("title", "id", "questions", "answer", "stages", "locale")  # the modal's block ids


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


def _text_input(block_id: str, label: str, value: str, *, multiline: bool = False,
                optional: bool = False, hint: str = "") -> dict:  # fmt: skip
    element: dict = {"type": "plain_text_input", "action_id": block_id, "multiline": multiline,
                     "max_length": INPUT_LIMIT}  # fmt: skip
    if value:
        element["initial_value"] = value[:INPUT_LIMIT]
    block: dict = {"type": "input", "block_id": block_id, "optional": optional,
                   "label": {"type": "plain_text", "text": label}, "element": element}  # fmt: skip
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def draft_modal(form: DraftForm, model: StageModel, where: dict) -> dict:
    """The modal an agent edits; `where` (escalation, card thread) rides in private_metadata."""
    stages = [_option(model.stage(s).name(), s) for s in model.ids]
    chosen = [o for o in stages if o["value"] in form.stages]
    stage_select: dict = {"type": "multi_static_select", "action_id": "stages", "options": stages}
    if chosen:
        stage_select["initial_options"] = chosen
    locales = [_option(code, code) for code in LOCALES]
    locale = next((o for o in locales if o["value"] == form.locale), locales[0])
    metadata = {**where, "escalation_id": form.escalation_id,
                "conversation_id": form.conversation_id}  # fmt: skip
    return {
        "type": "modal",
        "callback_id": View.ARTICLE_DRAFT,
        "private_metadata": json.dumps(metadata),
        "title": {"type": "plain_text", "text": "Save as article"},
        "submit": {"type": "plain_text", "text": "Save draft"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text":
             "A team lead reviews the draft; once approved, customers and agents get it "
             "from the knowledge base."}]},  # fmt: skip
            _text_input("title", "Title (the question it answers)", form.title),
            _text_input("id", "Article id", form.article_id,
                        hint="lowercase letters, digits and hyphens"),
            _text_input("questions", "Ways customers ask it, one per line",
                        "\n".join(form.questions), multiline=True, optional=True),
            _text_input("answer", "Answer", form.answer, multiline=True),
            {"type": "input", "block_id": "stages", "optional": True,
             "label": {"type": "plain_text", "text": "Stages"}, "element": stage_select},
            {"type": "input", "block_id": "locale",
             "label": {"type": "plain_text", "text": "Language"},
             "element": {"type": "static_select", "action_id": "locale", "options": locales,
                         "initial_option": locale}},
        ],
    }  # fmt: skip


def submitted_form(view: dict) -> DraftForm:
    """The agent's edited form, read back from a view_submission's state."""
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str) -> dict:
        # Each input's action id is its block id (unique in the view, as Slack asks).
        return (values.get(block) or {}).get(block) or {}

    def text(block: str) -> str:
        return str(value(block).get("value") or "").strip()

    metadata = json.loads(view.get("private_metadata") or "{}")
    stages = tuple(str(o.get("value")) for o in value("stages").get("selected_options") or [])
    locale = str((value("locale").get("selected_option") or {}).get("value") or "en")
    questions = tuple(line.strip() for line in text("questions").splitlines() if line.strip())
    return DraftForm(
        article_id=text("id"), title=text("title"), questions=questions,
        answer=text("answer"), stages=stages, locale=locale,
        escalation_id=metadata.get("escalation_id"),
        conversation_id=metadata.get("conversation_id"),
    )  # fmt: skip


def drafts_section(drafts: Sequence[ArticleDraft]) -> list[dict]:
    """The leads' review list: each draft with Approve and Reject."""
    blocks: list[dict] = [{"type": "header",
                           "text": {"type": "plain_text", "text": "Article drafts to review"}}]
    if not drafts:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                       "No drafts waiting. Agents save answers with *Save as article*."}]})
        return blocks  # fmt: skip
    for draft in drafts[:MAX_DRAFTS]:
        questions = "; ".join(draft.questions[:3]) or "no other wordings"
        body = (f"*{escape(draft.title)}* (`{escape(draft.article_id)}`, {escape(draft.locale)},"
                f" {escape(', '.join(draft.stages) or 'any stage')}) by <@{draft.author}>\n"
                f"_Asked as:_ {escape(questions)}\n{escape(draft.answer)}")[:2900]
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body}})
        value = str(draft.id)
        blocks.append({"type": "actions", "block_id": f"draft:{value}", "elements": [
            {"type": "button", "action_id": Action.APPROVE_DRAFT, "value": value,
             "style": "primary", "text": {"type": "plain_text", "text": "Approve"}},
            {"type": "button", "action_id": Action.REJECT_DRAFT, "value": value,
             "text": {"type": "plain_text", "text": "Reject"}},
        ]})  # fmt: skip
    return blocks
