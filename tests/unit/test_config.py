from pathlib import Path

import pytest

from bot.config import SAMPLE_KB, SettingsError, load_settings, read_dotenv


def test_defaults_use_a_sqlite_file_and_the_bundled_knowledge_base() -> None:
    settings = load_settings({}, dotenv=None)
    assert settings.database_url == "sqlite:///supportbot.db"
    assert settings.kb_path == SAMPLE_KB
    assert settings.log_level == "INFO"
    assert settings.kb_watch_seconds == 30
    assert load_settings({"KB_WATCH_SECONDS": "off"}, None).kb_watch_seconds == 0
    assert load_settings({"KB_WATCH_SECONDS": "0"}, None).kb_watch_seconds == 0


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "nonsense", "DATABASE_URL"),
        ("DATABASE_URL", "mysql://root@localhost/db", "DATABASE_URL"),
        ("KB_PATH", "/nope", "KB_PATH: /nope does not exist"),
        ("STAGE_MODEL", "/nope.yaml", "STAGE_MODEL"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: expected one of DEBUG, INFO, WARNING, ERROR"),
        ("DEFAULT_LOCALE", "xx", "DEFAULT_LOCALE"),
        ("KB_WATCH_SECONDS", "-5", "KB_WATCH_SECONDS: expected a number of seconds"),
        ("KB_WATCH_SECONDS", "soon", "KB_WATCH_SECONDS: expected a number of seconds"),
    ],
)
def test_a_wrong_value_names_the_setting(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({name: value}, dotenv=None)
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def test_plain_postgresql_urls_use_the_psycopg_driver() -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://u@db/support"}, dotenv=None)
    assert settings.database_url == "postgresql+psycopg://u@db/support"


def test_dotenv_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nexport LOG_LEVEL=debug\nDATABASE_URL='sqlite:///from-dotenv.db'  \n"
    )
    settings = load_settings({"LOG_LEVEL": "WARNING"}, dotenv=dotenv)
    assert settings.log_level == "WARNING"
    assert settings.database_url == "sqlite:///from-dotenv.db"


def test_a_malformed_dotenv_line_is_reported_with_its_line(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("LOG_LEVEL=INFO\nthis is not a setting\n")
    with pytest.raises(SettingsError, match=r"\.env:2: expected KEY=value"):
        read_dotenv(dotenv)


def test_env_example_lists_every_setting_and_loads_as_is() -> None:
    from dataclasses import fields

    from bot.config import PACKAGE_ROOT, Settings

    example = PACKAGE_ROOT / ".env.example"
    text = example.read_text(encoding="utf-8")
    for setting in fields(Settings):
        assert setting.name.upper() in text, setting.name
    assert load_settings({}, dotenv=example) == load_settings({}, dotenv=None)


def test_slack_settings_are_checked_and_secrets_stay_out_of_repr() -> None:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-secret", "SUPPORT_AGENTS": "U1AB, S2CD",
         "SUPPORT_AGENT_CHANNEL": "C0AGENTS"},
        dotenv=None,
    )  # fmt: skip
    assert settings.support_agents == ("U1AB", "S2CD")
    assert "xoxb-secret" not in repr(settings)
    with pytest.raises(SettingsError, match="^SUPPORT_LEADS: expected comma-separated"):
        load_settings({"SUPPORT_LEADS": "anna"}, dotenv=None)
    with pytest.raises(SettingsError, match="^SLACK_APP_TOKEN: expected a token") as error:
        load_settings({"SLACK_APP_TOKEN": "xoxb-wrong-place"}, dotenv=None)
    assert "wrong-place" not in str(error.value)


def test_the_manifest_asks_for_what_the_app_listens_to() -> None:
    import yaml

    from bot.config import PACKAGE_ROOT

    manifest = yaml.safe_load((PACKAGE_ROOT / "manifest.yml").read_text(encoding="utf-8"))
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/kb", "/lifecycle"}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.im", "app_home_opened", "app_mention"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "chat:write.customize", "commands", "im:history", "users:read",
            "usergroups:read"} <= scopes  # fmt: skip
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
