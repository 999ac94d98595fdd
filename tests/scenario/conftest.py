"""The real Bolt app served over HTTP (waitress), talking to the local fake of Slack's Web API."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.bootstrap import Services, build_services
from bot.config import SAMPLE_KB, Settings
from bot.service.desk import Desk
from bot.service.records import Message
from bot.slack.app import create_app, start_background
from bot.slack.context import SlackContext
from bot.slack.server import wsgi_app
from tests.scenario.fake_slack import Call, FakeSlack
from tests.scenario.slack_requests import SlackClientSim

SECRET = "scenario-signing-secret"
AGENTS_CHANNEL = "CAGENTS"
CUSTOMER_CHANNEL = "CCUSTOMERS"
AGENT_A, AGENT_B, LEAD = "UAGENTA", "UAGENTB", "ULEAD"
CUSTOMER = "UCUSTOMER"
DM = "DCUSTOMER"


@dataclass
class Running:
    """Everything a scenario needs: Slack's side (fake + signed sender) and the app's."""

    fake: FakeSlack
    slack: SlackClientSim
    services: Services
    ctx: SlackContext
    settings: Settings

    @property
    def desk(self) -> Desk:
        return self.services.desk

    def posts(self, channel: str, where=None) -> list[Call]:  # noqa: ANN001
        return [
            c
            for c in self.fake.calls_to("chat.postMessage")
            if c.params.get("channel") == channel and (where is None or where(c))
        ]

    def stored_messages(self) -> int:
        with self.desk.store.unit_of_work() as uow:
            return int(uow.session.scalar(select(func.count(Message.id))) or 0)


def settings_for(fake: FakeSlack, tmp_path: Path) -> Settings:
    return replace(
        Settings(),
        database_url=f"sqlite:///{tmp_path / 'scenario.db'}",
        slack_bot_token="xoxb-scenario",
        slack_signing_secret=SECRET,
        slack_api_base_url=fake.base_url,
        support_agent_channel=AGENTS_CHANNEL,
        support_customer_channels=(CUSTOMER_CHANNEL,),
        support_agents=(AGENT_A, AGENT_B),
        support_leads=(LEAD,),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slack_settings(**changes): settings the `running` app starts with"
    )
    config.addinivalue_line(
        "markers", "own_kb: the `running` app reads (and writes) a copy of the sample articles"
    )


@pytest.fixture
def running(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Running]:
    from waitress.server import create_server

    with FakeSlack() as fake:
        fake.users.update(
            {
                AGENT_A: {"name": "anna", "real_name": "Anna Agent",
                          "image_72": "https://example.com/anna.png"},
                AGENT_B: {"name": "bruno", "real_name": "Bruno Agent"},
                LEAD: {"name": "lena", "real_name": "Lena Lead"},
                CUSTOMER: {"name": "carla", "real_name": "Carla Customer"},
            }
        )  # fmt: skip
        settings = settings_for(fake, tmp_path)
        marker = request.node.get_closest_marker("slack_settings")
        if marker is not None:
            settings = replace(settings, **marker.kwargs)
        if request.node.get_closest_marker("own_kb") is not None:
            # The app writes approved articles into KB_PATH: a copy, never the repository's.
            settings = replace(settings, kb_path=Path(shutil.copytree(SAMPLE_KB, tmp_path / "kb")))
        services = build_services(settings)
        app, ctx = create_app(settings, services)
        background = start_background(ctx)
        server = create_server(wsgi_app(app), host="127.0.0.1", port=0, threads=4)
        closing = threading.Event()

        def serve() -> None:
            try:
                server.run()
            except OSError:
                if not closing.is_set():  # closing the socket under select() is expected
                    raise

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            base = f"http://127.0.0.1:{server.effective_port}"
            yield Running(fake, SlackClientSim(base, SECRET), services, ctx, settings)
        finally:
            closing.set()
            server.close()
            background.stop()
            thread.join(timeout=5)
            services.store.close()
