"""Files in the fake Slack: what users shared, what the app uploads, downloads with a token.

Slack's upload takes three steps (files.getUploadURLExternal, a POST of the bytes to the URL
it returned, files.completeUploadExternal), then the file is shared as a message with a
``files`` list. Downloads of ``url_private_download`` need ``Authorization: Bearer`` with a
token holding files:read; without one Slack answers 200 with its sign-in page, not the file,
so an app that forgets the header stores HTML. The fake does the same, and records it.
"""

from __future__ import annotations

import mimetypes
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from tests.scenario.fake_slack import FakeSlack

SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Sign in | Slack</title></head></html>"
FILE_METHODS = frozenset(
    {"files.getUploadURLExternal", "files.completeUploadExternal", "files.info", "files.delete"}
)


class FakeFiles:
    """The files the fake knows, by id, with their bytes."""

    def __init__(self, fake: FakeSlack) -> None:
        self._fake = fake
        self._lock = threading.Lock()
        self._counter = 0
        self.files: dict[str, dict[str, Any]] = {}
        self.content: dict[str, bytes] = {}
        self._pending: dict[str, dict[str, Any]] = {}  # file_id -> upload not yet completed

    def _next_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"F{self._counter:08d}"

    def _file(self, file_id: str, name: str, size: int, user: str, title: str | None,
              mimetype: str | None) -> dict[str, Any]:  # fmt: skip
        """A file object in Slack's shape (files.info, message `files`)."""
        root, team = self._fake.root_url, self._fake.team_id
        filetype = name.rsplit(".", 1)[-1].lower() if "." in name else "text"
        private = f"{root}files-pri/{team}-{file_id}/{quote(name)}"
        created = int(time.time())
        return {
            "id": file_id, "created": created, "timestamp": created, "name": name,
            "title": title or name, "mimetype": mimetype or _mimetype(name),
            "filetype": filetype, "pretty_type": filetype.upper(), "user": user,
            "user_team": team, "editable": False, "size": size, "mode": "hosted",
            "is_external": False, "external_type": "", "is_public": False,
            "public_url_shared": False, "display_as_bot": False, "url_private": private,
            "url_private_download": f"{root}files-pri/{team}-{file_id}/download/{quote(name)}",
            "permalink": f"https://fake-workspace.slack.com/files/{user}/{file_id}/{quote(name)}",
        }  # fmt: skip

    def add(self, user: str, name: str, content: bytes, *, title: str | None = None,
            mimetype: str | None = None) -> dict[str, Any]:  # fmt: skip
        """A file `user` shared; returns the file object to put in a message event's `files`."""
        file_id = self._next_id()
        file = self._file(file_id, name, len(content), user, title, mimetype)
        with self._lock:
            self.files[file_id] = file
            self.content[file_id] = content
        return file

    # -- Web API methods ---------------------------------------------------------------------

    def answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "files.getUploadURLExternal":
            return self._upload_url(p)
        if method == "files.completeUploadExternal":
            return self._complete(p)
        with self._lock:
            file = self.files.get(str(p.get("file", "")))
            if file is not None and method == "files.delete":
                del self.files[file["id"]]
                self.content.pop(file["id"], None)
        if file is None:
            return {"ok": False, "error": "file_not_found"}
        if method == "files.delete":
            return {"ok": True}
        return {"ok": True, "file": file, "comments": [], "response_metadata": {"next_cursor": ""}}

    def known(self, file_id: str) -> bool:
        """Whether Slack has this file (uploaded and completed, or shared by a user)."""
        with self._lock:
            return file_id in self.files

    def _upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(p.get("length", 0))
        except (TypeError, ValueError):
            length = 0
        if length <= 0:  # Slack: "typically only occurs when the length provided is 0"
            return {"ok": False, "error": "missing_argument"}
        file_id = self._next_id()
        with self._lock:
            self._pending[file_id] = {"name": str(p.get("filename")), "length": length,
                                      "data": None}  # fmt: skip
        return {"ok": True, "upload_url": f"{self._fake.root_url}upload/{file_id}",
                "file_id": file_id}  # fmt: skip

    def receive(self, file_id: str, data: bytes) -> tuple[int, bytes]:
        """The bytes POSTed to an upload URL; Slack's upload service answers "OK - <size>"."""
        with self._lock:
            pending = self._pending.get(file_id)
            if pending is not None:
                pending["data"] = data
        if pending is None:
            self._fake.violation("file_upload", "upload to an unknown or used upload URL",
                                 {"file_id": file_id})  # fmt: skip
            return 404, b"invalid upload url"
        if len(data) != pending["length"]:
            self._fake.violation("file_upload", f"sent {len(data)} bytes after declaring "
                                 f"length={pending['length']}", {"file_id": file_id})  # fmt: skip
        return 200, f"OK - {len(data)}".encode()

    def _complete(self, p: dict[str, Any]) -> dict[str, Any]:
        entries = p.get("files")
        if not isinstance(entries, list) or not entries:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        for entry in entries:
            file_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
            with self._lock:
                pending = self._pending.pop(file_id, None)
            if pending is None or pending["data"] is None:
                self._fake.violation("files.completeUploadExternal",
                                     f"file {file_id!r} completed before its bytes were uploaded",
                                     p)  # fmt: skip
                return {"ok": False, "error": "file_not_found"}
            file = self._file(file_id, pending["name"], len(pending["data"]),
                              self._fake.bot_user_id, entry.get("title"), None)  # fmt: skip
            with self._lock:
                self.files[file_id] = file
                self.content[file_id] = pending["data"]
            done.append(file)
        # Shared where asked (channel_id, or the comma-separated channels); else it stays private.
        channels = [str(p["channel_id"])] if p.get("channel_id") else []
        channels += [c for c in str(p.get("channels") or "").split(",") if c]
        for channel in channels:
            message: dict[str, Any] = {"type": "message", "subtype": "file_share", "files": done,
                                       "text": str(p.get("initial_comment") or "")}  # fmt: skip
            if p.get("thread_ts"):
                message["thread_ts"] = str(p["thread_ts"])
            self._fake.add_to_history(channel, message)
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in done]}

    # -- downloads -------------------------------------------------------------------------

    def download(self, path: str, token: str) -> tuple[int, bytes, str]:
        """GET of url_private(_download): (status, body, content type)."""
        parts = path.removeprefix("/files-pri/").split("/")
        file_id = parts[0].split("-", 1)[-1] if parts else ""
        with self._lock:
            file, data = self.files.get(file_id), self.content.get(file_id)
        if not token.startswith("xoxb-"):
            self._fake.violation("file_download", "url_private fetched without "
                                 "'Authorization: Bearer xoxb-...'", {"path": path})  # fmt: skip
            return 200, SIGN_IN_PAGE, "text/html; charset=utf-8"
        if "files:read" not in self._fake.scopes:
            self._fake.violation("file_download", "url_private needs the files:read scope",
                                 {"path": path})  # fmt: skip
            return 200, SIGN_IN_PAGE, "text/html; charset=utf-8"
        if file is None or data is None:
            return 404, b"file not found", "text/plain"
        return 200, data, str(file["mimetype"])


def _mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
