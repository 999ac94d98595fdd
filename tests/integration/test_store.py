"""The store on SQLite and PostgreSQL: migrations, constraints, units of work."""

from datetime import timedelta

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot.service.records import Conversation, Customer, Feedback, Message
from bot.store.database import create_db_engine, current_revision, head_revision
from bot.store.unit_of_work import Store
from tests.conftest import T0


def test_migrations_build_every_table(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"customers", "conversations", "messages", "stage_changes", "escalations",
            "feedback"} <= tables  # fmt: skip
    assert current_revision(store.engine) == head_revision()


def test_sqlite_files_use_wal_and_a_busy_timeout(tmp_path) -> None:  # noqa: ANN001
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_nothing_is_kept_without_commit(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
    with store.unit_of_work() as uow:
        assert uow.repo.customer("T1", "U1") is None


def test_a_customer_is_created_once_and_times_stay_utc(store: Store) -> None:
    with store.unit_of_work() as uow:
        customer, created = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
        assert created
        uow.commit()
    with store.unit_of_work() as uow:
        again, created = uow.repo.get_or_create_customer("T1", "U1", "purchase", T0)
        assert not created
        assert again.id == customer.id and again.stage == "awareness"
        assert again.first_seen == T0 and again.first_seen.tzinfo is not None


def test_the_same_user_cannot_be_inserted_twice(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(Customer(team_id="T", user_id="U", stage="a", first_seen=T0, last_seen=T0))
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(IntegrityError):
        uow.session.add(Customer(team_id="T", user_id="U", stage="a", first_seen=T0, last_seen=T0))
        uow.commit()


def test_one_feedback_per_message(store: Store) -> None:
    with store.unit_of_work() as uow:
        customer, _ = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
        conversation = uow.repo.start_conversation(customer.id, "D1", "", "awareness", T0)
        message = uow.repo.add_message(Message(conversation_id=conversation.id, role="bot",
                                               text="hi", created_at=T0))  # fmt: skip
        uow.repo.add_feedback(Feedback(message_id=message.id, helpful=True, at=T0))
        uow.commit()
        message_id = message.id
    with store.unit_of_work() as uow, pytest.raises(IntegrityError):
        uow.session.add(Feedback(message_id=message_id, helpful=False, at=T0))
        uow.commit()


def test_active_conversation_is_found_by_channel_and_thread(store: Store) -> None:
    with store.unit_of_work() as uow:
        customer, _ = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
        for thread in ("", "111.1"):
            uow.session.add(Conversation(customer_id=customer.id, channel="C1", thread_ts=thread,
                                         stage="awareness", opened_at=T0,
                                         last_activity_at=T0 + timedelta(minutes=1)))  # fmt: skip
        uow.commit()
    with store.unit_of_work() as uow:
        customer = uow.repo.customer("T1", "U1")
        found = uow.repo.active_conversation(customer.id, "C1", "111.1")
        assert found is not None and found.thread_ts == "111.1"
        assert uow.repo.active_conversation(customer.id, "C2", "") is None
        count = len(uow.session.scalars(select(Conversation)).all())
        assert count == 2


def test_changes_to_a_customer_and_conversation_are_saved_at_commit(store: Store) -> None:
    later = T0 + timedelta(minutes=5)
    with store.unit_of_work() as uow:
        customer, _ = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
        started = uow.repo.start_conversation(customer.id, "D1", "", "awareness", T0,
                                              due_at=later)  # fmt: skip
        uow.commit()
        conversation_id = started.id
    with store.unit_of_work() as uow:
        customer = uow.repo.customer("T1", "U1")
        conversation = uow.repo.conversation(conversation_id)
        assert conversation.due_at == later
        customer.stage, customer.locale, customer.lead_score = "purchase", "it", 2.5
        conversation.stage, conversation.due_at = "purchase", None
        conversation.last_activity_at = conversation.last_activity_at  # no change
        uow.commit()
        # Still the session's own records after the commit, and still saved when changed.
        assert uow.repo.customer("T1", "U1") is customer
        assert uow.repo.conversation(conversation_id) is conversation
        conversation.stage = "support"
        uow.commit()
    with store.unit_of_work() as uow:
        customer = uow.repo.customer("T1", "U1")
        assert (customer.stage, customer.locale, customer.lead_score) == ("purchase", "it", 2.5)
        assert customer.first_seen == T0
        conversation = uow.repo.conversation(conversation_id)
        assert (conversation.stage, conversation.due_at) == ("support", None)
        assert conversation.last_activity_at == T0 and conversation.opened_at == T0


def test_changes_are_not_kept_without_commit(store: Store) -> None:
    with store.unit_of_work() as uow:
        customer, _ = uow.repo.get_or_create_customer("T1", "U1", "awareness", T0)
        uow.commit()
    with store.unit_of_work() as uow:
        uow.repo.customer("T1", "U1").stage = "purchase"
    with store.unit_of_work() as uow:
        assert uow.repo.customer("T1", "U1").stage == "awareness"
