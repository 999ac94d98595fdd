"""Who acts, and what they may do: the permission rules every way in (button, command, thread
reply, a forged request) meets in the service, never in a listener."""

from __future__ import annotations

from dataclasses import dataclass

from bot.service.errors import NotAllowedError

NOT_STAFF = "Sorry, this command is for the support team only."
LEADS_ONLY = "Sorry, only team leads can set a customer's stage."


@dataclass(frozen=True)
class Actor:
    """Who pressed a button or typed a command, and what they are allowed to be."""

    user_id: str
    is_agent: bool = False
    is_lead: bool = False

    @property
    def is_staff(self) -> bool:
        return self.is_agent or self.is_lead

    @classmethod
    def system(cls, name: str) -> Actor:
        """The app itself acting as a lead (replays, imports): allowed everything."""
        return cls(name, is_agent=True, is_lead=True)


def require_staff(actor: Actor, message: str = NOT_STAFF) -> None:
    """Agents and leads only."""
    if not actor.is_staff:
        raise NotAllowedError(message)


def require_lead(actor: Actor, message: str = LEADS_ONLY) -> None:
    """Team leads only."""
    if not actor.is_lead:
        raise NotAllowedError(message)
