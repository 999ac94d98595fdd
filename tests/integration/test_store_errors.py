"""A failed statement's error names the SQL, never the values: customers' words stay out of logs."""

import pytest
from sqlalchemy.exc import IntegrityError

from bot.service.records import Feedback
from bot.store.unit_of_work import Store
from tests.conftest import T0


def test_a_failed_write_does_not_show_its_values(store: Store) -> None:
    secret = "what the customer wrote"
    with store.unit_of_work() as uow, pytest.raises(IntegrityError) as failed:
        uow.session.add(Feedback(message_id=424242, helpful=True, at=T0, stage=secret))
        uow.session.flush()  # no such message: the foreign key refuses it
    assert secret not in str(failed.value)
