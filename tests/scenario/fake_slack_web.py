"""The fake Slack's workspace: people, user groups, what the app posted, and the answers of
the Web API methods over them, in the shapes of Slack's method reference."""

from __future__ import annotations

import random
import threading
import time
from typing import TYPE_CHECKING, Any

from tests.scenario.fake_slack_files import FILE_METHODS
from tests.scenario.fake_slack_http import channel_info

if TYPE_CHECKING:
    from tests.scenario.fake_slack import FakeSlack

# Keys of a ``users`` entry that belong in ``user.profile`` rather than on ``user`` itself.
_PROFILE_KEYS = frozenset({"real_name", "display_name", "email", "title", "status_text"})


class FakeWorkspace:
    """The state behind the fake's answers; its identity (bot user, team) is the fake's."""

    def __init__(self, fake: FakeSlack) -> None:
        self._fake = fake
        # One lock guards the state below; answers come from many server threads.
        self._lock = threading.Lock()
        self._ts_counter = 0
        self._view_counter = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        # What the app posted, per channel, for conversations.history and .replies.
        self.history: dict[str, list[dict[str, Any]]] = {}
        # Reactions the app added: (channel, ts) -> emoji names.
        self.reactions: dict[tuple[str, str], set[str]] = {}
        # Channels shared with other workspaces (Slack Connect): conversations.info says so.
        self.shared_channels: set[str] = set()

    def next_ts(self) -> str:
        """Unique, increasing message timestamps from the clock, as Slack's are (seconds since
        the epoch, with microseconds), so `oldest=` filters work as they do on Slack."""
        with self._lock:
            micros = max(int(time.time() * 1_000_000), self._ts_counter + 100)
            self._ts_counter = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def next_view_id(self) -> str:
        with self._lock:
            self._view_counter += 1
            return f"V{self._view_counter:08d}"

    def add_to_history(self, channel: str, message: dict[str, Any]) -> dict[str, Any]:
        """Append a message posted by the app to a channel's history; returns it with its ts."""
        fake = self._fake
        message = {"user": fake.bot_user_id, "bot_id": fake.bot_id, "team": fake.team_id,
                   **message, "ts": self.next_ts()}  # fmt: skip
        with self._lock:
            self.history.setdefault(channel, []).append(message)
        return message

    def answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """The ``{"ok": true, ...}`` body for one method, in Slack's response shape."""
        channel = str(p.get("channel", ""))
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake-workspace.slack.com/",
                "team": "Fake Workspace",
                "user": "supportbot",
                "team_id": self._fake.team_id,
                "user_id": self._fake.bot_user_id,
                "bot_id": self._fake.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            message: dict[str, Any] = {"type": "message", "text": p.get("text", "")}
            for key in ("blocks", "attachments", "thread_ts", "metadata"):
                if key in p:
                    message[key] = p[key]
            message = self.add_to_history(channel, message)
            return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
        if method in ("conversations.history", "conversations.replies"):
            with self._lock:
                posted = list(self.history.get(channel, []))
            if method == "conversations.replies":
                root = str(p.get("ts", ""))
                posted = [m for m in posted if m["ts"] == root or m.get("thread_ts") == root]
            else:
                oldest = float(p.get("oldest") or 0)
                posted = [m for m in posted if "thread_ts" not in m and float(m["ts"]) > oldest]
            if str(p.get("include_all_metadata", "")).lower() not in ("true", "1"):
                posted = [{k: v for k, v in m.items() if k != "metadata"} for m in posted]
            return {"ok": True, "messages": list(reversed(posted)), "has_more": False}
        if method == "chat.update":
            ts = str(p.get("ts", ""))
            message = {"text": p.get("text", ""), "user": self._fake.bot_user_id, "ts": ts}
            if "blocks" in p:
                message["blocks"] = p["blocks"]
            with self._lock:
                for posted in self.history.get(channel, []):
                    if posted["ts"] == ts:
                        posted.update(message, edited={"user": self._fake.bot_user_id, "ts": ts})
            text = message["text"]
            return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message}
        if method == "chat.delete":
            ts = str(p.get("ts", ""))
            with self._lock:
                kept = [m for m in self.history.get(channel, []) if m["ts"] != ts]
                found = len(kept) < len(self.history.get(channel, []))
                if found:
                    self.history[channel] = kept
            if not found:
                return {"ok": False, "error": "message_not_found"}
            return {"ok": True, "channel": channel, "ts": ts}
        if method in ("reactions.add", "reactions.remove"):
            return self._react(method, channel, p)
        if method in FILE_METHODS:
            return self._fake.files.answer(method, p)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method == "chat.getPermalink":
            ts = str(p.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://fake-workspace.slack.com/archives/{channel}/p"
                + ts.replace(".", ""),
            }
        if method.startswith("views."):
            return {"ok": True, "view": self._view(method, p)}
        if method == "conversations.open":
            users = str(p.get("users", "")).split(",")
            return {"ok": True, "channel": {"id": "D" + users[0]}}
        if method == "conversations.info":
            info = channel_info(channel)
            if channel in self.shared_channels:
                info.update(is_shared=True, is_ext_shared=True)
            return {"ok": True, "channel": info}
        if method == "users.info":
            return self._user_info(str(p.get("user", "")))
        if method == "usergroups.users.list":
            group = str(p.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        return {"ok": True}  # any other method: accepted, recorded

    def _react(self, method: str, channel: str, p: dict[str, Any]) -> dict[str, Any]:
        """reactions.add / .remove by the bot user: Slack refuses the same one twice."""
        key, name = (channel, str(p.get("timestamp", ""))), str(p.get("name", ""))
        with self._lock:
            names = self.reactions.setdefault(key, set())
            if method == "reactions.add":
                if name in names:
                    return {"ok": False, "error": "already_reacted"}
                names.add(name)
            else:
                if name not in names:
                    return {"ok": False, "error": "no_reaction"}
                names.discard(name)
        return {"ok": True}

    def _view(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        view = p.get("view") if isinstance(p.get("view"), dict) else {}
        view_id = str(p.get("view_id") or self.next_view_id())
        default_type = "home" if method == "views.publish" else "modal"
        return {
            **view,
            "id": view_id,
            "team_id": self._fake.team_id,
            "type": view.get("type", default_type),
            "hash": f"{int(time.time())}.{random.randrange(10**8):08d}",
            "root_view_id": view_id,
            "app_id": "A1",
            "bot_id": self._fake.bot_id,
        }

    def _user_info(self, user_id: str) -> dict[str, Any]:
        # A configured directory is authoritative; with none, any id is a plausible person.
        if self.users and user_id not in self.users:
            return {"ok": False, "error": "user_not_found"}
        info = self.users.get(user_id) or {
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "image_72": f"https://avatars.example.com/{user_id}_72.png",
        }
        real_name = info.get("real_name", info.get("name", user_id))
        profile = {"real_name": real_name, "display_name": info.get("display_name", "")}
        for key, value in info.items():
            if key in _PROFILE_KEYS or key.startswith("image_"):
                profile[key] = value
        user = {
            "id": user_id,
            "team_id": self._fake.team_id,
            "name": info.get("name", user_id.lower()),
            "deleted": False,
            "real_name": real_name,
            "is_bot": False,
            "tz": "Europe/Rome",
        }
        user.update({k: v for k, v in info.items() if k not in profile and k != "name"})
        user["profile"] = profile
        return {"ok": True, "user": user}
