"""Slash commands: `/kb` for agents, `/lifecycle` for team leads (and agents, read-only)."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.charts.figures import chart_data
from bot.service.actors import Actor
from bot.service.errors import NotAllowedError
from bot.service.outcomes import ConversationLine, CustomerRef
from bot.slack import summary_view, views
from bot.slack.chart_files import chart_files
from bot.slack.context import SlackContext, now
from bot.slack.gaps_view import gaps_blocks

log = logging.getLogger(__name__)

LIFECYCLE_USAGE = """*Usage:* `/lifecycle <command>`
• `summary [today|7d|30d]`: per stage conversations, self-service, escalations, agents'
  times and satisfaction, with charts
• `gaps [7d|30d]`: questions the knowledge base failed, grouped by need, most customers first
• `stage <stage>`: open conversations in a stage
• `customer @user`: a customer's stage history and scores
• `stuck`: waiting and escalated purchase-stage customers
• `set @user <stage>`: set a customer's stage by hand (leads only)
• `help`: this message"""
KB_USAGE = "*Usage:* `/kb <question>`: the articles a customer would get, with agent notes."
PERIODS = {"7d": timedelta(days=7), "30d": timedelta(days=30)}
SHOWN = 20  # rows of a conversation list in the message; more go as a file too
FULL_LIST = 500  # rows a list holds at most, message and file together
PERIOD_NAMES = {"today": "today", "7d": "last 7 days", "30d": "last 30 days"}
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9]{2,})$")


def register(app: App, ctx: SlackContext) -> None:
    @app.command("/kb")
    def on_kb(ack: Ack, command: dict, respond: Respond) -> None:
        ack()
        actor = ctx.directory.actor(command["user_id"])
        query = (command.get("text") or "").strip()
        try:
            ctx.reports.check_reader(actor)
            if not query:
                respond(KB_USAGE, response_type="ephemeral")
                return
            text, blocks = views.kb_results(ctx.desk.agent_search(actor, query), can_send=True)
        except NotAllowedError as refused:
            respond(str(refused), response_type="ephemeral")
            return
        respond(text=text, blocks=blocks, response_type="ephemeral")

    @app.command("/lifecycle")
    def on_lifecycle(ack: Ack, command: dict, respond: Respond) -> None:
        ack()
        actor = ctx.directory.actor(command["user_id"])
        text, blocks = lifecycle(ctx, actor, (command.get("text") or "").split(),
                                 command.get("team_id") or "")  # fmt: skip
        sent = respond(text=text, blocks=blocks, response_type="ephemeral")
        if sent.status_code != 200 and any(block["type"] == "image" for block in blocks):
            # Slack can refuse a chart it has not finished processing: the text still goes.
            log.warning("Slack refused the summary with its chart (%s): %s", sent.status_code,
                        sent.body)  # fmt: skip
            respond(text=text, blocks=[b for b in blocks if b["type"] != "image"],
                    response_type="ephemeral")  # fmt: skip


def lifecycle(ctx: SlackContext, actor: Actor, words: list[str], team: str) -> tuple[str, list]:
    """Parse `/lifecycle` arguments and build the answer; the services check permissions."""
    try:
        return _lifecycle(ctx, actor, words, team)
    except NotAllowedError as refused:
        return views.plain(str(refused))


def _lifecycle(ctx: SlackContext, actor: Actor, words: list[str], team: str) -> tuple[str, list]:
    ctx.reports.check_reader(actor)
    verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
    model = ctx.desk.model
    at = now()
    if verb == "summary" and len(args) <= 1:
        label = args[0].lower() if args else "7d"
        if label == "today":
            since = datetime(at.year, at.month, at.day, tzinfo=UTC)
        elif label in PERIODS:
            since = at - PERIODS[label]
        else:
            return views.plain(LIFECYCLE_USAGE)
        return _summary(ctx, actor, label, since, at)
    if verb == "gaps" and len(args) <= 1:
        label = args[0].lower() if args else "7d"
        if label not in PERIODS:
            return views.plain(LIFECYCLE_USAGE)
        report = ctx.services.gaps.report(actor, at - PERIODS[label], at)
        names = {stage.id: stage.name() for stage in model.stages}
        return gaps_blocks(report, PERIOD_NAMES[label], names)
    if verb == "stage" and len(args) == 1:
        if args[0] not in model:
            return views.plain(f"Unknown stage `{args[0]}`. Stages: {', '.join(model.ids)}")
        name = model.stage(args[0]).name()
        return _listed(ctx, actor, f"Open conversations in {name}", f"stage-{args[0]}",
                       ctx.reports.in_stage(actor, args[0], at, limit=FULL_LIST))  # fmt: skip
    if verb == "stuck" and not args:
        return _listed(ctx, actor, "Stuck purchase-stage customers", "stuck",
                       ctx.reports.stuck(actor, at, limit=FULL_LIST))  # fmt: skip
    if verb == "customer" and len(args) == 1 and (user := _user(args[0])):
        profile = ctx.reports.customer(actor, team, user, at)
        if profile is None:
            return views.plain(f"<@{user}> has not talked to the assistant yet.")
        name = model.stage(profile.stage).name() if profile.stage in model else profile.stage
        return views.customer_profile(profile, name)
    if verb == "set" and len(args) == 2 and (user := _user(args[0])):
        if actor.is_lead and args[1] not in model:
            return views.plain(f"Unknown stage `{args[1]}`. Stages: {', '.join(model.ids)}")
        before = ctx.desk.set_stage(CustomerRef(user, team), args[1], actor=actor, at=at)
        return views.plain(f"<@{user}>: {before} → {args[1]} (set by <@{actor.user_id}>)")
    return views.plain(LIFECYCLE_USAGE)


def _listed(ctx: SlackContext, actor: Actor, title: str, name: str,
            lines: list[ConversationLine]) -> tuple[str, list]:  # fmt: skip
    """The first rows in the message; all of them, when there are more, as a CSV file in the
    reader's DM with the app (nothing dropped, and the message stays readable)."""
    if len(lines) <= SHOWN:
        return views.conversation_list(title, lines)
    note = "not shown here."
    try:
        dm = ctx.client.conversations_open(users=actor.user_id)["channel"]["id"]
        ctx.client.files_upload_v2(
            content=views.conversations_csv(lines).encode(), filename=f"lifecycle-{name}.csv",
            title=f"{title} ({len(lines)})", channel=dm,
            initial_comment=f"{title}: all {len(lines)}, as asked with /lifecycle.",
        )  # fmt: skip
        note = f"here: all {len(lines)} are in the CSV file in your DM with the app."
    except SlackApiError as failed:
        log.warning("could not send the list as a file: %s", failed.response.get("error"))
    return views.conversation_list(title, lines[:SHOWN], total=len(lines), file_note=note)


def _user(word: str) -> str | None:
    match = MENTION.match(word)
    return (match.group(1) or match.group(2)) if match else None


def _summary(
    ctx: SlackContext, actor: Actor, label: str, since: datetime, at: datetime
) -> tuple[str, list]:
    """The summary for [since, at) with the chart (drawn and uploaded only if it changed) and
    the 8-week trend in it; the text alone where charts cannot be drawn."""
    report = ctx.reports.summary(actor, since, at)
    data = chart_data(report, ctx.reports.trend(actor, at), PERIOD_NAMES[label])
    return summary_view.summary(report, label, chart_files(ctx.client).chart(label, data))
