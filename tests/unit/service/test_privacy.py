"""Erasure on the FakeStore: `forget` checks the user id and deletes that user's data only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.bootstrap import Services
from bot.service.errors import InvalidUserIdError
from bot.service.outcomes import CustomerRef
from tests.conftest import T0


def busy_customer(services: Services, user: str, team: str = "T1", days: float = 0) -> None:
    """A customer who asked, rated the answer, asked for a person and had a stage change."""
    who, at = CustomerRef(user, team), T0 + timedelta(days=days)
    services.desk.handle_message(who, "how do I pay with paypal", at=at, channel=f"D{user}")
    services.desk.record_feedback(who, False, at=at + timedelta(minutes=1))
    services.desk.talk_to_human(who, at=at + timedelta(minutes=2), channel=f"D{user}")


@pytest.mark.parametrize("user_id", ["", "not a user!", "U1; DROP TABLE customers", "U" * 65])
def test_forget_refuses_what_cannot_be_a_user_id(services: Services, user_id: str) -> None:
    busy_customer(services, "U1")
    with pytest.raises(InvalidUserIdError):
        services.privacy.forget(user_id)
    assert services.desk.history(CustomerRef("U1", "T1")) is not None


def test_forget_deletes_that_user_in_every_workspace_and_nobody_else(services: Services) -> None:
    busy_customer(services, "UGONE", "T1")
    busy_customer(services, "UGONE", "T2")
    busy_customer(services, "UKEEP", "T1")
    deleted = services.privacy.forget("UGONE")
    assert deleted["customers"] == 2 and deleted["conversations"] == 2
    assert deleted["escalations"] == 2 and deleted["feedback"] == 2
    assert deleted["messages"] == 8 and deleted["stage changes"] == 2
    assert services.desk.history(CustomerRef("UGONE", "T1")) is None
    assert services.desk.history(CustomerRef("UGONE", "T2")) is None
    kept = services.desk.history(CustomerRef("UKEEP", "T1"))
    assert kept is not None and (kept.conversations, kept.messages) == (1, 2)
    assert +services.privacy.forget("UGONE") == {}


def test_purge_deletes_only_conversations_older_than_the_cutoff(services: Services) -> None:
    busy_customer(services, "UOLD", days=-400)
    busy_customer(services, "UNEW")
    deleted = services.privacy.purge(T0 - timedelta(days=365))
    assert deleted["conversations"] == 1
    old = services.desk.history(CustomerRef("UOLD", "T1"))
    assert old is not None and old.conversations == 0  # the customer record itself stays
    assert services.desk.history(CustomerRef("UNEW", "T1")).conversations == 1
