"""Which triage channel an escalation card goes to: the first TRIAGE_ROUTES rule that fits
its stage, the customer's language or the customer channel, else SUPPORT_AGENT_CHANNEL."""

from __future__ import annotations

from bot.config import Settings, SettingsError
from bot.service.outcomes import Card
from lifecycle import StageModel


def triage_channel(card: Card, settings: Settings) -> str:
    """The channel a new card is posted in."""
    facts = {"stage": card.stage, "language": card.language or "", "channel": card.customer_channel}
    for route in settings.triage_routes:
        if facts.get(route.kind) == route.value:
            return route.channel
    return settings.support_agent_channel


def check_routes(settings: Settings, model: StageModel) -> None:
    """Stop start-up when a route names a stage the stage model does not have."""
    for route in settings.triage_routes:
        if route.kind == "stage" and route.value not in model:
            known = ", ".join(model.ids)
            raise SettingsError(
                f"TRIAGE_ROUTES: no stage {route.value!r} in the stage model (it has {known})"
            )
