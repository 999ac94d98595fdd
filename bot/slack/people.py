"""Who is an agent or a lead: user ids and user groups from the settings, groups expanded."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.service.actors import Actor

log = logging.getLogger(__name__)
GROUP_TTL_SECONDS = 300  # group membership changes rarely; don't ask Slack on every click


class Directory:
    """Answers "may this person act as an agent / a lead?" for every command and button."""

    def __init__(self, settings: Settings, client: WebClient) -> None:
        self._client = client
        self._agents = settings.support_agents
        self._leads = settings.support_leads
        self._groups: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def actor(self, user_id: str) -> Actor:
        return Actor(
            user_id,
            is_agent=self._is_member(user_id, self._agents),
            is_lead=self._is_member(user_id, self._leads),
        )

    def mention_staff(self) -> str:
        """How to ping the people who should pick up a waiting card: leads, else agents."""
        ids = self._leads or self._agents
        return " ".join(f"<!subteam^{i}>" if i.startswith("S") else f"<@{i}>" for i in ids)

    def _is_member(self, user_id: str, ids: tuple[str, ...]) -> bool:
        if user_id in ids:
            return True
        return any(user_id in self._group(i) for i in ids if i.startswith("S"))

    def _group(self, group_id: str) -> frozenset[str]:
        with self._lock:
            cached = self._groups.get(group_id)
            if cached and time.monotonic() - cached[0] < GROUP_TTL_SECONDS:
                return cached[1]
        try:
            users = frozenset(self._client.usergroups_users_list(usergroup=group_id)["users"])
        except SlackApiError as exc:
            log.warning("cannot list user group %s: %s", group_id, exc.response.get("error"))
            users = cached[1] if cached else frozenset()
        with self._lock:
            self._groups[group_id] = (time.monotonic(), users)
        return users
