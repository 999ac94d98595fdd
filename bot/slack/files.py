"""Files between customer and agents: a customer's screenshot reaches the card's thread, the
agent's attachment reaches the customer. Slack's files belong to one workspace (and one
channel's members), so a file is copied: downloaded with the bot token, uploaded again where it
must be seen (the upload v2 flow, `files_upload_v2`).

The copy is an outbox row like any other Slack call (method COPY_FILE), so it waits for the
card, survives restarts and is retried; the gateway runs it with `copy_file`.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from slack_sdk import WebClient

log = logging.getLogger(__name__)

COPY_FILE = "supportbot.copy_file"  # not a Slack method: the gateway's own step
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are named, not copied
DOWNLOAD_TIMEOUT = 30  # seconds
# Downloads carry the bot token: only from Slack's own file hosts (and the configured API
# host, for a local Slack such as the tests' fake), never from a URL someone else chose.
SLACK_FILE_HOSTS = ("files.slack.com", "slack-files.com")


@dataclass(frozen=True)
class SharedFile:
    """A file attached to a Slack message, as the event describes it."""

    id: str
    name: str
    title: str
    size: int
    url: str  # url_private_download

    def as_params(self) -> dict:
        return {"id": self.id, "name": self.name, "title": self.title, "size": self.size,
                "url": self.url}  # fmt: skip


def shared_files(event: dict) -> list[SharedFile]:
    """The files of a message event (none when it has no `files`, or they are unreadable)."""
    found = []
    for item in event.get("files") or []:
        if not isinstance(item, dict) or item.get("mode") == "tombstone":
            continue  # a deleted file leaves a tombstone with nothing to fetch
        url = item.get("url_private_download") or item.get("url_private") or ""
        if not item.get("id") or not url:
            continue
        name = str(item.get("name") or item.get("title") or item["id"])
        found.append(SharedFile(str(item["id"]), name, str(item.get("title") or name),
                                int(item.get("size") or 0), str(url)))  # fmt: skip
    return found


def describe(files: list[SharedFile]) -> str:
    """A line naming the files, stored and shown where the file itself cannot be."""
    return "(shared " + ", ".join(f"the file {f.name}" for f in files) + ")"


def copy_params(file: SharedFile, channel: str, thread_ts: str | None, comment: str) -> dict:
    """An outbox row's params for copying `file` into `channel` (and thread)."""
    params: dict = {"channel": channel, "file": file.as_params(), "initial_comment": comment}
    if thread_ts:
        params["thread_ts"] = thread_ts
    return params


class FileCopier:
    """Runs COPY_FILE rows: download with the bot token, upload to the target."""

    def __init__(self, client: WebClient, token: str, api_base_url: str) -> None:
        self.client = client
        self.token = token
        self.allowed_hosts = {*SLACK_FILE_HOSTS, urlsplit(api_base_url).hostname or ""}

    def copy(self, params: dict) -> dict:
        """Copy one file; returns Slack's answer to the upload. Raises OSError when the
        download fails (retried), SlackApiError when Slack refuses the upload."""
        file = params["file"]
        channel, thread_ts = params["channel"], params.get("thread_ts")
        comment = str(params.get("initial_comment") or "")
        if int(file.get("size") or 0) > MAX_FILE_BYTES:
            return self._note(channel, thread_ts, f"{comment}\n(the file {file['name']} is "
                              f"{int(file['size']) / 1e6:.0f} MB, too large to copy here)")
        content = self._download(str(file["url"]))
        if content is None:
            return self._note(channel, thread_ts, f"{comment}\n(the file {file['name']} "
                              "could not be fetched from Slack)")  # fmt: skip
        response = self.client.files_upload_v2(
            content=content, filename=str(file["name"]), title=str(file.get("title") or ""),
            channel=channel, thread_ts=thread_ts, initial_comment=comment or None,
        )  # fmt: skip
        return response.data if isinstance(response.data, dict) else {}

    def _download(self, url: str) -> bytes | None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme not in ("https", "http") or not any(
            host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts
            if allowed
        ):
            log.warning("not fetching a file from %s: not one of Slack's file hosts", host)
            return None
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as answer:  # noqa: S310 - host checked above
            content = answer.read(MAX_FILE_BYTES + 1)
            kind = answer.headers.get_content_type()
        if len(content) > MAX_FILE_BYTES:
            return None
        if kind == "text/html" and not parts.path.lower().endswith((".html", ".htm")):
            # Slack answers a download it refuses (token, scope) with 200 and its sign-in page:
            # copying that would hand the agent a web page instead of the screenshot.
            log.warning("Slack answered the download of %s with a web page; not copied", url)
            return None
        return content

    def _note(self, channel: str, thread_ts: str | None, text: str) -> dict:
        params = {"channel": channel, "text": text.strip()}
        if thread_ts:
            params["thread_ts"] = thread_ts
        return self.client.api_call("chat.postMessage", json=params).data  # type: ignore[return-value]
