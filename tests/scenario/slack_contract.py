"""What Slack's Web API accepts: methods, arguments and scopes, for the strict fake to check.

The reference is Slack's own OpenAPI description of the Web API
(``../shared/slack-api-specs/slack_web_openapi_v2_without_examples.json``, from
slackapi/slack-api-specs, MIT licence), read once per process. It dates from October 2020, so
methods and arguments Slack added since are listed below by hand, each from Slack's method
reference today. The scopes the app holds come from the repository's ``manifest.yml``
(``oauth_config.scopes.bot``), as a workspace would grant them on install.

``SUPPORTBOT_SLACK_SPECS`` (a folder) overrides where the spec is read from (not a SLACK_*
name: tests/conftest.py clears those so a developer's tokens never reach a test).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.scenario import block_kit

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = "slack_web_openapi_v2_without_examples.json"
SPECS_ENV = "SUPPORTBOT_SLACK_SPECS"

# Methods newer than the spec: (arguments, required, scopes), from Slack's method reference.
NEWER_METHODS: dict[str, tuple[set[str], set[str], tuple[str, ...]]] = {
    "files.getUploadURLExternal": (
        {"filename", "length", "alt_txt", "snippet_type"}, {"filename", "length"},
        ("files:write",),
    ),
    "files.completeUploadExternal": (
        {"files", "channel_id", "channels", "thread_ts", "initial_comment", "blocks"}, {"files"},
        ("files:write",),
    ),
}  # fmt: skip

# Arguments Slack documents today that the 2020 spec lacks (message metadata, markdown_text,
# chat.update's file_ids and reply_broadcast, views' interactivity_pointer all came later).
NEWER_ARGUMENTS: dict[str, set[str]] = {
    "chat.postMessage": {"metadata", "markdown_text"},
    "chat.postEphemeral": {"markdown_text"},
    "chat.update": {"metadata", "markdown_text", "file_ids", "reply_broadcast"},
    "conversations.history": {"include_all_metadata"},
    "conversations.replies": {"include_all_metadata"},
    "views.open": {"interactivity_pointer"},
    "views.push": {"interactivity_pointer"},
}

# Accepted by every method: the workspace of an org-wide token ("required if org token is
# used", Slack's reference), and Bolt's say() always sends it.
ANY_METHOD_ARGUMENTS = frozenset({"team_id"})

# Arguments the spec marks optional that Slack's reference requires today.
_NOW_REQUIRED: dict[str, set[str]] = {
    "conversations.history": {"channel"},
    "conversations.replies": {"channel", "ts"},
    "conversations.info": {"channel"},
    "chat.delete": {"channel", "ts"},
    "files.info": {"file"},
    "users.info": {"user"},
}

# Arguments that only a token holding one more scope may use (Slack: chat:write.customize
# "send messages as @app with a customized username and avatar").
_ARGUMENT_SCOPES: dict[str, dict[str, str]] = {
    method: {arg: "chat:write.customize" for arg in ("username", "icon_url", "icon_emoji")}
    for method in ("chat.postMessage", "chat.postEphemeral")
}

# The spec names the old granular scopes of classic apps; a bot token holds their successor.
_LEGACY_SCOPES = {"chat:write:bot": "chat:write", "chat:write:user": "chat:write",
                  "files:write:user": "files:write"}  # fmt: skip
# Conversation methods need the scope of the conversation's kind, by its id's first letter.
_KIND_BY_PREFIX = {"C": "channels", "G": "groups", "D": "im"}
CONVERSATION_KINDS = ("channels", "groups", "im", "mpim")

# Keys a response_url body may carry (Slack's "Handling interactions" reference).
RESPONSE_URL_KEYS = frozenset({
    "text", "blocks", "attachments", "response_type", "replace_original", "delete_original",
    "thread_ts", "mrkdwn", "unfurl_links", "unfurl_media", "metadata",
})  # fmt: skip
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
MESSAGE_CONTENT = ("text", "blocks", "attachments", "markdown_text")
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})


@dataclass(frozen=True)
class MethodRule:
    """One Web API method: the arguments it takes, those it needs, the scopes that allow it
    (any one of them; none for methods every token may call)."""

    arguments: frozenset[str]
    required: frozenset[str]
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """Why Slack would refuse a call: the `error` it answers, and for people the detail."""

    error: str  # unknown_method, invalid_arguments, missing_scope, invalid_blocks
    detail: str
    needed: str = ""  # for missing_scope
    # False for what Slack accepts with a warning (a message's missing `text` fallback): the
    # fake answers ok as Slack does, and still records it.
    refused: bool = True


def specs_dir() -> Path:
    """Where Slack's published specs are: $SUPPORTBOT_SLACK_SPECS, else ../shared by the repo."""
    default = REPO_ROOT.parent / "shared" / "slack-api-specs"
    return Path(os.environ.get(SPECS_ENV) or default)


@cache
def methods() -> dict[str, MethodRule]:
    """Every method the Web API has, with its rules (read from the spec once per process)."""
    path = specs_dir() / SPEC_FILE
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuntimeError(
            f"the strict fake Slack needs Slack's Web API spec at {path}; set {SPECS_ENV} "
            f"to the folder holding {SPEC_FILE}"
        ) from None
    rules: dict[str, MethodRule] = {}
    for route, operations in spec["paths"].items():
        name = route.lstrip("/")
        for operation in operations.values():
            params = [p for p in operation.get("parameters", []) if p["name"] != "token"]
            named = [s for sec in operation.get("security", []) for s in sec.get("slackAuth", [])]
            scopes = dict.fromkeys(_LEGACY_SCOPES.get(s, s) for s in named if s != "none")
            rules[name] = MethodRule(
                arguments=frozenset(p["name"] for p in params) | NEWER_ARGUMENTS.get(name, set()),
                required=frozenset(p["name"] for p in params if p.get("required"))
                | _NOW_REQUIRED.get(name, set()),
                scopes=tuple(scopes),
            )
    for name, (arguments, required, needs) in NEWER_METHODS.items():
        rules[name] = MethodRule(frozenset(arguments), frozenset(required), needs)
    return rules


def manifest_scopes(manifest: Path = REPO_ROOT / "manifest.yml") -> frozenset[str]:
    """The bot scopes the app's manifest asks for (and so holds once installed)."""
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    bot = ((data.get("oauth_config") or {}).get("scopes") or {}).get("bot") or []
    return frozenset(str(scope) for scope in bot)


def _needed_scope(rule: MethodRule, params: dict[str, Any], granted: frozenset[str]) -> str:
    """The scope this call lacks, or "" when the granted ones allow it."""
    scopes = rule.scopes
    if scopes and all(s.split(":")[0] in CONVERSATION_KINDS for s in scopes):
        kind = _conversation_kind(params)
        if kind is not None:
            scopes = tuple(s for s in scopes if s.startswith(f"{kind}:")) or scopes
    if scopes and not granted.intersection(scopes):
        return ",".join(scopes)
    return ""


def _conversation_kind(params: dict[str, Any]) -> str | None:
    channel = str(params.get("channel") or "")
    if channel[:1] in _KIND_BY_PREFIX:
        return _KIND_BY_PREFIX[channel[:1]]
    users = [u for u in str(params.get("users") or "").split(",") if u]
    if users:  # conversations.open with users: a DM for one person, a group DM for more
        return "im" if len(users) == 1 else "mpim"
    return None


def check_call(method: str, params: dict[str, Any], granted: frozenset[str]) -> list[Problem]:
    """Every reason Slack would refuse this call (the token already taken out of `params`)."""
    rule = methods().get(method)
    if rule is None:
        return [Problem("unknown_method", f"{method} is not a Web API method")]
    problems = []
    missing = sorted(rule.required - params.keys())
    if missing:
        problems.append(Problem("invalid_arguments", f"missing required {', '.join(missing)}"))
    unknown = sorted(params.keys() - rule.arguments - ANY_METHOD_ARGUMENTS)
    if unknown:
        problems.append(Problem("invalid_arguments", f"unknown argument {', '.join(unknown)}"))
    needed = _needed_scope(rule, params, granted)
    if needed:
        problems.append(Problem("missing_scope", f"needs {needed}", needed))
    for arg, scope in _ARGUMENT_SCOPES.get(method, {}).items():
        if arg in params and scope not in granted:
            problems.append(Problem("missing_scope", f"{arg} needs {scope}", scope))
    if method in MESSAGE_METHODS and not any(k in params for k in MESSAGE_CONTENT):
        problems.append(Problem("no_text", "a message needs text, blocks or attachments"))
    if "metadata" in params and method.startswith("chat."):
        problems += _metadata_problems(params["metadata"])
    problems += [Problem("invalid_blocks", p) for p in _content_problems(method, params)]
    if method in MESSAGE_METHODS and block_kit.lacks_fallback(params):
        problems.append(Problem("missing_text_fallback", block_kit.NO_FALLBACK, refused=False))
    return problems


def _metadata_problems(metadata: Any) -> list[Problem]:
    """Message metadata: {"event_type": "...", "event_payload": {...}} (Slack's reference)."""
    if (
        isinstance(metadata, dict)
        and isinstance(metadata.get("event_type"), str)
        and metadata["event_type"]
        and isinstance(metadata.get("event_payload"), dict)
    ):
        return []
    return [Problem("invalid_metadata_format", f"metadata {metadata!r} needs event_type and "
                    "an event_payload object")]  # fmt: skip


def _content_problems(method: str, params: dict[str, Any]) -> list[str]:
    if method in MESSAGE_METHODS:
        return block_kit.message_problems(params)
    if method in VIEW_METHODS and "view" in params:
        return block_kit.view_problems(params["view"])
    if method == "files.completeUploadExternal" and "blocks" in params:
        return block_kit.block_problems(params["blocks"])
    return []


def check_response_url(body: dict[str, Any]) -> list[Problem]:
    """Every reason Slack would refuse a message posted to a response_url."""
    problems = []
    unknown = sorted(body.keys() - RESPONSE_URL_KEYS)
    if unknown:
        problems.append(Problem("invalid_arguments", f"unknown key {', '.join(unknown)}"))
    if not any(key in body for key in ("text", "blocks", "attachments", "delete_original")):
        problems.append(Problem("invalid_arguments", "no text, blocks or delete_original"))
    problems += [Problem("invalid_blocks", p) for p in block_kit.message_problems(body)]
    return problems
