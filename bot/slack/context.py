"""What every listener needs, and the Slack calls more than one listener makes, written once.

Messages to customers and agents go through the outbox (stored, then sent with retries), so a
reply survives a 429, a 500 or a restart. Ephemeral notices and App Home views are sent
directly: they only matter in the moment.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.bootstrap import Services
from bot.config import Settings
from bot.service.desk import Desk
from bot.service.handoff import Handoff
from bot.service.outcomes import Card, Relay
from bot.service.reports import Reports
from bot.service.vocabulary import CardLink
from bot.slack import views
from bot.slack.inbox import Inbox
from bot.slack.outbox import Outbox
from bot.slack.people import Directory
from bot.slack.routing import triage_channel
from bot.slack.text import escape, no_broadcast, split, trim

log = logging.getLogger(__name__)


def now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SlackContext:
    """The services and Slack plumbing the listeners share."""

    settings: Settings
    services: Services
    directory: Directory
    client: WebClient
    inbox: Inbox
    outbox: Outbox
    wake_sender: Callable[[], None] = field(default=lambda: None)
    _names: dict[str, str | None] = field(default_factory=dict, repr=False)
    _shared: dict[str, bool] = field(default_factory=dict, repr=False)

    @property
    def desk(self) -> Desk:
        return self.services.desk

    @property
    def handoff(self) -> Handoff:
        return self.services.handoff

    @property
    def reports(self) -> Reports:
        return self.services.reports

    def send(self, params: dict, key: str, *, method: str = "chat.postMessage",
             user_id: str | None = None, escalation_id: int | None = None,
             card_link: CardLink | None = None) -> None:  # fmt: skip
        """Queue a Slack call; the same key twice sends once."""
        self.outbox.add(method, params, key=key, user_id=user_id, escalation_id=escalation_id,
                        card_link=card_link)  # fmt: skip
        self.wake_sender()

    def post_card(self, escalation_id: int) -> None:
        """Post a new escalation's card in the agents' channel; its ts is kept when sent."""
        card = self.handoff.card(escalation_id)
        text, blocks = views.escalation_card(card)
        self.send(
            {"channel": triage_channel(card, self.settings), "text": text, "blocks": blocks},
            key=f"card:{escalation_id}",
            user_id=card.customer_user,
            escalation_id=escalation_id,
            card_link=CardLink.POST,
        )

    def refresh_card(self, card: Card, mention: str = "") -> None:
        """Show the card as it is now (the channel and ts are the posted card's, filled in
        when sent). One update per content: the same card twice is sent once."""
        text, blocks = views.escalation_card(card, mention)
        content = hashlib.sha256(json.dumps([text, blocks], sort_keys=True).encode()).hexdigest()
        self.send(
            {"channel": card.agent_channel or self.settings.support_agent_channel,
             "text": text, "blocks": blocks},
            key=f"card-update:{card.escalation_id}:{content[:32]}",
            method="chat.update",
            user_id=card.customer_user,
            escalation_id=card.escalation_id,
            card_link=CardLink.UPDATE,
        )

    def to_card_thread(self, escalation_id: int, text: str, key: str, user_id: str) -> None:
        self.send(
            {"channel": self.settings.support_agent_channel, "text": text},  # the card's, when sent
            key=key,
            user_id=user_id,
            escalation_id=escalation_id,
            card_link=CardLink.THREAD,
        )

    def deliver(self, relay: Relay) -> None:
        """An agent's reply (or an article they sent) to the customer, under their name. A
        long reply goes as several messages, in order, never cut."""
        name, icon = self._profile(relay.agent)
        base: dict = {"channel": relay.channel}
        if relay.thread_ts:
            base["thread_ts"] = relay.thread_ts
        if name:
            base["username"] = name
        if icon:
            base["icon_url"] = icon
        key = f"agent-message:{relay.message_id}"
        if relay.article is not None:
            # The knowledge base's own formatting, in sections; `text` is the notification.
            text = no_broadcast(relay.text)
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": part}}
                      for part in [f"*{relay.article.title}*", *split(text)]]  # fmt: skip
            self.send({**base, "text": trim(text), "blocks": blocks}, key=key)
            return
        # Plain text as the agent typed it (bot/slack/text.plain), escaped once here; split
        # before escaping, so no part ends inside an "&amp;".
        for number, part in enumerate(split(relay.text)):
            self.send({**base, "text": escape(part)}, key=key if number == 0 else f"{key}:{number}")

    def tell(self, channel: str, user: str, text: str) -> None:
        """An ephemeral note to one person (why they were refused, what their action did):
        it only matters in the moment, so it is sent directly and a failure is only logged."""
        if not channel or not user:
            return
        try:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s: %s", user, exc)

    def is_shared(self, channel: str) -> bool:
        """Whether a channel is shared with other workspaces (Slack Connect), asked of Slack
        once per channel; events say so themselves, shortcuts and buttons do not."""
        if channel not in self._shared:
            try:
                info = self.client.conversations_info(channel=channel)["channel"]
            except Exception:  # noqa: BLE001 - unknown: treat as not shared, ask again later
                log.warning("cannot tell whether %s is a Slack Connect channel", channel)
                return False
            self._shared[channel] = bool(info.get("is_ext_shared") or info.get("is_shared"))
        return self._shared[channel]

    def display_name(self, user_id: str) -> str | None:
        """A person's name for a mention in plain text, asked of Slack once per person."""
        if user_id not in self._names:
            self._names[user_id] = self._profile(user_id)[0]
        return self._names[user_id]

    def _profile(self, user_id: str) -> tuple[str | None, str | None]:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except Exception:  # noqa: BLE001 - a missing name must not stop the reply
            log.warning("no profile for %s; replying under the app's name", user_id)
            return None, None
        profile = user.get("profile", {})
        name = profile.get("display_name") or profile.get("real_name") or user.get("name")
        return name, profile.get("image_72")
