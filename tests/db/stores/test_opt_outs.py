"""Opt-outs recorded through CommunicationStore."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import Channel
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import ContactOptOut
from rebook.db.stores import CommunicationStore
from tests.support.rows import add_contact


@pytest.fixture
def ledger(sessions: sessionmaker[Session]) -> CommunicationStore:
    add_contact(sessions, "ct_1")
    add_contact(sessions, "ct_2")
    return CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)


def test_a_new_contact_has_no_opt_outs(ledger: CommunicationStore) -> None:
    assert ledger.opted_out_channels("ct_1") == set()


def test_opt_outs_are_per_contact_and_channel(ledger: CommunicationStore) -> None:
    ledger.record_opt_out("ct_1", Channel.SMS, "Twilio 21610: STOP")
    ledger.record_opt_out("ct_1", Channel.WHATSAPP, "Twilio 63016")

    assert ledger.opted_out_channels("ct_1") == {Channel.SMS, Channel.WHATSAPP}
    assert ledger.opted_out_channels("ct_2") == set()


def test_recording_an_opt_out_again_is_a_no_op_that_keeps_the_first_reason(
    ledger: CommunicationStore, sessions: sessionmaker[Session]
) -> None:
    ledger.record_opt_out("ct_1", Channel.SMS, "Twilio 21610: STOP")
    ledger.record_opt_out("ct_1", Channel.SMS, "Twilio 21610 again")

    with sessions() as session:
        reasons = list(
            session.scalars(select(ContactOptOut.reason).where(ContactOptOut.contact_id == "ct_1"))
        )
    assert reasons == ["Twilio 21610: STOP"]
    assert ledger.opted_out_channels("ct_1") == {Channel.SMS}


def test_opt_out_for_an_unknown_contact_is_an_error(ledger: CommunicationStore) -> None:
    with pytest.raises(IntegrityError):
        ledger.record_opt_out("ct_missing", Channel.EMAIL, "bounce")
