"""Settings catch misconfiguration at start-up rather than at the first send."""

import pytest
from pydantic import ValidationError

from rebook.core.contracts import FollowUpPolicy
from rebook.settings import Settings


def test_whatsapp_content_sids_must_be_template_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether a playbook has the template is the worker's check (tests/test_worker.py).
    monkeypatch.setenv("TWILIO_WHATSAPP_CONTENT_SIDS", '{"No Show": "HX1"}')
    with pytest.raises(ValidationError, match="No Show"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("TWILIO_WHATSAPP_CONTENT_SIDS", '{"no_show_followup": "HX1"}')
    assert Settings(_env_file=None).twilio_whatsapp_content_sids == {  # type: ignore[call-arg]
        "no_show_followup": "HX1"
    }


def test_api_keys_are_split_and_trimmed() -> None:
    settings = Settings(_env_file=None, api_keys=" old , new,, ")  # type: ignore[call-arg]
    assert settings.api_key_set == frozenset({"old", "new"})


def test_policy_defaults_are_the_core_policy_defaults() -> None:
    # Defined once, on FollowUpPolicy: unset settings must not drift from it.
    assert Settings(_env_file=None).follow_up_policy() == FollowUpPolicy()  # type: ignore[call-arg]


def test_policy_settings_override_the_defaults() -> None:
    settings = Settings(_env_file=None, reschedule_limit=5, quiet_hours_start_h=22)  # type: ignore[call-arg]
    policy = settings.follow_up_policy()
    assert (policy.reschedule_limit, policy.quiet_hours_start_h) == (5, 22)
    assert policy.quiet_hours_end_h == FollowUpPolicy().quiet_hours_end_h


def test_policy_settings_that_playbooks_replace_are_named() -> None:
    assert Settings(_env_file=None).replaced_by_playbooks() == []  # type: ignore[call-arg]
    settings = Settings(_env_file=None, quiet_hours_end_h=9)  # type: ignore[call-arg]
    assert settings.replaced_by_playbooks() == ["QUIET_HOURS_END_H"]
