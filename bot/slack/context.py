"""What every listener needs: the settings, the desk, the directory and the Slack client."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.desk import Desk
from bot.handoff import Card, Relay
from bot.slack import views
from bot.slack.people import Directory
from bot.slack.text import no_broadcast, split

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SlackContext:
    settings: Settings
    desk: Desk
    directory: Directory
    client: WebClient

    # The few Slack calls more than one listener makes live here, so each is written once.

    def post_card(self, escalation_id: int) -> None:
        """Post a new escalation's card in the agents' channel and remember its thread."""
        card = self.desk.handoff.card(escalation_id)
        text, blocks = views.escalation_card(card)
        response = self.client.chat_postMessage(
            channel=self.settings.support_agent_channel, text=text, blocks=blocks
        )
        self.desk.handoff.attach_card(escalation_id, response["channel"], response["ts"])

    def refresh_card(self, card: Card) -> None:
        if not card.agent_channel or not card.agent_thread_ts:
            return
        text, blocks = views.escalation_card(card)
        self.client.chat_update(
            channel=card.agent_channel, ts=card.agent_thread_ts, text=text, blocks=blocks
        )

    def deliver(self, relay: Relay) -> None:
        """Post an agent's reply (or an article they sent) to the customer, under their name."""
        name, icon = self._profile(relay.agent)
        text = no_broadcast(relay.text)
        blocks = None
        if relay.article is not None:
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": part}}
                      for part in [f"*{relay.article.title}*", *split(text)]]  # fmt: skip
        self.client.chat_postMessage(
            channel=relay.channel,
            thread_ts=relay.thread_ts or None,
            text=text[:3000],
            blocks=blocks,
            username=name,
            icon_url=icon,
        )

    def _profile(self, user_id: str) -> tuple[str | None, str | None]:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError:
            return None, None
        profile = user.get("profile", {})
        name = profile.get("display_name") or profile.get("real_name") or user.get("name")
        return name, profile.get("image_72")
