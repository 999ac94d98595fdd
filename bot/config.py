"""Settings: read once from the environment and an optional `.env`, validated up front."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = PACKAGE_ROOT / "knowledge_base" / "sample"
DEFAULT_STAGE_MODEL = PACKAGE_ROOT / "lifecycle" / "models" / "default.yaml"
DEFAULT_ESCALATION_RULES = PACKAGE_ROOT / "lifecycle" / "data" / "escalation.yaml"

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SEMANTIC_MODELS = ("auto", "e5", "use", "off")
SLACK_API = "https://slack.com/api/"
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
PERSON_OR_GROUP_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
TRY_WITHOUT_SLACK = "to try the desk without Slack, run `supportbot chat`"
SUPPORTED_LOCALES = ("en", "it", "de", "pl")


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the setting."""


ROUTE_KINDS = ("stage", "language", "channel")


@dataclass(frozen=True)
class Route:
    """Escalation cards whose `kind` (stage, language or customer channel) is `value` go to
    the triage `channel`."""

    kind: str
    value: str
    channel: str


@dataclass(frozen=True)
class Settings:
    """Every deployment setting, with its default, in one place."""

    database_url: str = "sqlite:///supportbot.db"
    kb_path: Path = SAMPLE_KB
    stage_model: Path = DEFAULT_STAGE_MODEL
    escalation_rules: Path = DEFAULT_ESCALATION_RULES
    default_locale: str = "en"
    log_level: str = "INFO"
    # Slack: secrets never appear in a repr or a log line.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_base_url: str = SLACK_API
    support_agent_channel: str = ""
    support_customer_channels: tuple[str, ...] = ()
    # Where cards go, first match wins; the rest go to support_agent_channel.
    triage_routes: tuple[Route, ...] = ()
    support_agents: tuple[str, ...] = ()
    support_leads: tuple[str, ...] = ()
    escalation_reminder_minutes: float = 10.0
    timer_interval_seconds: float = 30.0
    # How often `supportbot run` checks KB_PATH's files and reloads when they changed; 0: never.
    kb_watch_seconds: float = 30.0
    # None: no disk cache. load_settings fills in the XDG default, so only a configured app
    # writes one; a bare Settings() (tests, scripts) leaves the disk alone.
    index_cache_dir: Path | None = None
    # Meaning-based search (knowledge_base/embedding.py): auto, e5, use or off.
    semantic_model: str = "auto"
    embedding_threads: int = 1
    @property
    def triage_channels(self) -> tuple[str, ...]:
        """Every channel cards are posted in: agents reply in their threads."""
        routed = (route.channel for route in self.triage_routes)
        return tuple(dict.fromkeys(c for c in (self.support_agent_channel, *routed) if c))

    # A company's own calibration (`supportbot kb calibrate`); None keeps the search's defaults.
    answer_score: float | None = None
    answer_margin: float | None = None
    suggest_score: float | None = None


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a `.env` file: KEY=value lines, `#` comments, optional quotes and `export`."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise SettingsError(f"{path}:{number}: expected KEY=value, got {raw.strip()!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[key] = value
    return values


def load_settings(
    environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")
) -> Settings:
    """Build Settings from the environment; a `.env` file fills in what the environment lacks."""
    env: dict[str, str] = {}
    if dotenv is not None and dotenv.is_file():
        env.update(read_dotenv(dotenv))
    env.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    defaults = Settings()
    return Settings(
        database_url=_database_url(get("DATABASE_URL") or defaults.database_url),
        kb_path=_existing_path("KB_PATH", get("KB_PATH"), defaults.kb_path, "a folder of articles"),
        stage_model=_existing_path(
            "STAGE_MODEL", get("STAGE_MODEL"), defaults.stage_model, "a stage model YAML file"
        ),
        escalation_rules=_existing_path(
            "ESCALATION_RULES",
            get("ESCALATION_RULES"),
            defaults.escalation_rules,
            "an escalation rules YAML file",
        ),
        default_locale=_choice(
            "DEFAULT_LOCALE", get("DEFAULT_LOCALE"), defaults.default_locale, SUPPORTED_LOCALES
        ),
        log_level=_choice(
            "LOG_LEVEL", (get("LOG_LEVEL") or "").upper() or None, defaults.log_level, LOG_LEVELS
        ),
        slack_bot_token=_token("SLACK_BOT_TOKEN", get("SLACK_BOT_TOKEN"), "xoxb-"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET") or "",
        slack_app_token=_token("SLACK_APP_TOKEN", get("SLACK_APP_TOKEN"), "xapp-"),
        slack_api_base_url=_base_url(get("SLACK_API_BASE_URL")),
        support_agent_channel=_channel("SUPPORT_AGENT_CHANNEL", get("SUPPORT_AGENT_CHANNEL")),
        support_customer_channels=_ids(
            "SUPPORT_CUSTOMER_CHANNELS",
            get("SUPPORT_CUSTOMER_CHANNELS"),
            CHANNEL_ID,
            "channel ids",
        ),
        triage_routes=_routes(get("TRIAGE_ROUTES")),
        support_agents=_ids(
            "SUPPORT_AGENTS", get("SUPPORT_AGENTS"), PERSON_OR_GROUP_ID, "user or user-group ids"
        ),
        support_leads=_ids(
            "SUPPORT_LEADS", get("SUPPORT_LEADS"), PERSON_OR_GROUP_ID, "user or user-group ids"
        ),
        escalation_reminder_minutes=_number(
            "ESCALATION_REMINDER_MINUTES", get("ESCALATION_REMINDER_MINUTES"), 10.0
        ),
        timer_interval_seconds=_number(
            "TIMER_INTERVAL_SECONDS", get("TIMER_INTERVAL_SECONDS"), 30.0
        ),
        kb_watch_seconds=_seconds_or_off("KB_WATCH_SECONDS", get("KB_WATCH_SECONDS"), 30.0),
        index_cache_dir=_cache_dir(get("INDEX_CACHE_DIR"), get("XDG_CACHE_HOME")),
        semantic_model=_choice(
            "SEMANTIC_MODEL",
            (get("SEMANTIC_MODEL") or "").lower() or None,
            defaults.semantic_model,
            SEMANTIC_MODELS,
        ),
        embedding_threads=_count("EMBEDDING_THREADS", get("EMBEDDING_THREADS"), 1),
        answer_score=_share("KB_ANSWER_SCORE", get("KB_ANSWER_SCORE")),
        answer_margin=_share("KB_ANSWER_MARGIN", get("KB_ANSWER_MARGIN")),
        suggest_score=_share("KB_SUGGEST_SCORE", get("KB_SUGGEST_SCORE")),
    )


def _database_url(raw: str) -> str:
    expected = "expected a URL such as sqlite:///supportbot.db or postgresql://user@host/dbname"
    try:
        url: URL = make_url(raw)
    except ArgumentError:
        raise SettingsError(f"DATABASE_URL: {expected}, got {raw!r}") from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        # psycopg 3 is the driver we ship as an extra; SQLAlchemy's default would be psycopg2.
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    if backend != "sqlite":
        raise SettingsError(f"DATABASE_URL: {expected} (SQLite or PostgreSQL), got {raw!r}")
    return raw


def _existing_path(name: str, raw: str | None, default: Path, what: str) -> Path:
    path = Path(raw).expanduser() if raw else default
    if not path.exists():
        raise SettingsError(f"{name}: {path} does not exist; expected {what}")
    return path


def _choice(name: str, raw: str | None, default: str, allowed: tuple[str, ...]) -> str:
    value = raw or default
    if value not in allowed:
        raise SettingsError(f"{name}: expected one of {', '.join(allowed)}, got {raw!r}")
    return value


def _token(name: str, raw: str | None, prefix: str) -> str:
    if raw and not raw.startswith(prefix):
        # Never echo the value: it may be a real secret pasted into the wrong variable.
        raise SettingsError(f"{name}: expected a token starting with {prefix!r}")
    return raw or ""


def _base_url(raw: str | None) -> str:
    if not raw:
        return SLACK_API
    if not raw.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_BASE_URL: expected an http(s) URL, got {raw!r}")
    return raw if raw.endswith("/") else raw + "/"


def _channel(name: str, raw: str | None) -> str:
    if raw and not CHANNEL_ID.match(raw):
        raise SettingsError(f"{name}: expected a channel id such as C0123ABCD, got {raw!r}")
    return raw or ""


def _ids(name: str, raw: str | None, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    wrong = [value for value in values if not pattern.match(value)]
    if wrong:
        raise SettingsError(
            f"{name}: expected comma-separated {what} (such as C0123ABCD or U0123ABCD), "
            f"got {', '.join(repr(w) for w in wrong)}"
        )
    return values


def _routes(raw: str | None) -> tuple[Route, ...]:
    """TRIAGE_ROUTES: comma-separated `kind:value=CHANNEL` rules, e.g.
    `stage:purchase=C0SALES, language:de=C0DACH, channel:C0VIP=C0KEYACCOUNTS`."""
    routes = []
    for part in (raw or "").split(","):
        rule = part.strip()
        if not rule:
            continue
        condition, sep, channel = rule.partition("=")
        kind, colon, value = condition.strip().partition(":")
        kind, value, channel = kind.strip().lower(), value.strip(), channel.strip()
        problem = None
        if not sep or not colon or not value:
            problem = "expected kind:value=CHANNEL"
        elif kind not in ROUTE_KINDS:
            problem = f"the kind must be one of {', '.join(ROUTE_KINDS)}"
        elif not CHANNEL_ID.match(channel):
            problem = "the target must be a channel id such as C0123ABCD"
        elif kind == "language" and value not in SUPPORTED_LOCALES:
            problem = f"the language must be one of {', '.join(SUPPORTED_LOCALES)}"
        elif kind == "channel" and not CHANNEL_ID.match(value):
            problem = "a customer channel must be a channel id such as C0123ABCD"
        if problem:
            raise SettingsError(
                f"TRIAGE_ROUTES: {problem}, got {rule!r} (for example "
                "stage:purchase=C0SALES, language:de=C0DACH)"
            )
        routes.append(Route(kind, value, channel))
    return tuple(routes)


def _number(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise SettingsError(f"{name}: expected a number greater than 0, got {raw!r}")
    return value


def _seconds_or_off(name: str, raw: str | None, default: float) -> float:
    if raw is not None and raw.strip() in ("0", "off"):
        return 0.0
    try:
        return _number(name, raw, default)
    except SettingsError:
        raise SettingsError(
            f"{name}: expected a number of seconds greater than 0, or 0 (off), got {raw!r}"
        ) from None


def _count(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise SettingsError(f"{name}: expected a whole number from 1 to 64, got {raw!r}")
    return int(raw)


def _share(name: str, raw: str | None) -> float | None:
    """A score threshold in [0, 1], or None when unset."""
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name}: expected a number from 0 to 1, got {raw!r}")
    return value


def _cache_dir(raw: str | None, xdg_cache_home: str | None) -> Path | None:
    if raw and raw.lower() == "off":
        return None
    if raw:
        path = Path(raw).expanduser()
    elif xdg_cache_home and Path(xdg_cache_home).is_absolute():  # the XDG spec ignores others
        path = Path(xdg_cache_home) / "supportbot"
    else:
        try:
            path = Path.home() / ".cache" / "supportbot"
        except RuntimeError:  # no HOME and no passwd entry (a container's arbitrary uid)
            return None
    if path.exists() and not path.is_dir():
        raise SettingsError(
            f"INDEX_CACHE_DIR: {path} is not a folder; expected a folder for the search index "
            "cache, or off"
        )
    return path


def require_slack(settings: Settings, socket_mode: bool) -> None:
    """Stop with one line naming the first missing Slack setting."""
    needed = [("SLACK_BOT_TOKEN", settings.slack_bot_token, "the bot token (xoxb-...)")]
    if socket_mode:
        needed.append(("SLACK_APP_TOKEN", settings.slack_app_token, "an app token (xapp-...)"))
    else:
        needed.append(
            ("SLACK_SIGNING_SECRET", settings.slack_signing_secret, "the app's signing secret")
        )
    needed.append(
        ("SUPPORT_AGENT_CHANNEL", settings.support_agent_channel, "the agents' channel id")
    )
    for name, value, what in needed:
        if not value:
            raise SettingsError(
                f"{name} is not set: put {what} in .env (see README, Slack setup); "
                f"{TRY_WITHOUT_SLACK}"
            )


def configure_logging(settings: Settings) -> None:
    """Send log lines to stderr at the configured level."""
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every migration step at INFO; only failures matter to an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # The SDK narrates every retry at INFO; our own lines say what matters.
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
