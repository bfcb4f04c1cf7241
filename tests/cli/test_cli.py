"""The `rebook` command line, run as operators run it: workspaces, their settings, API keys
and credential rotation, on both databases; its writes land in the audit log."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from rebook.cli.main import main
from rebook.core.api_keys import Scope, parse_key, secret_matches
from rebook.core.audit import Actor, AuditFilter
from rebook.core.workspaces import TwilioCredentials
from rebook.credentials import CredentialCipher
from rebook.db.stores import AuditStore, WorkspaceSettingsStore, WorkspaceStore
from rebook.settings import Settings

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class Cli:
    def __init__(self, database_url: str, credentials_key: str | None = None) -> None:
        self.settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url,
            credentials_key=SecretStr(credentials_key) if credentials_key else None,
        )

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = main(list(argv), settings=self.settings, out=out, err=err)
        return status, out.getvalue(), err.getvalue()


@pytest.fixture
def cli(database_url: str) -> Cli:
    return Cli(database_url)


def test_workspaces_are_created_and_listed(cli: Cli, sessions: sessionmaker[Session]) -> None:
    status, out, _ = cli(
        "workspace", "create", "acme-clinic", "--name", "Acme Clinic", "--timezone", "Europe/Paris"
    )
    listed = cli("workspace", "list")[1]

    assert status == 0 and "acme-clinic" in out
    workspace = WorkspaceStore(sessions).by_slug("acme-clinic")
    assert workspace is not None and workspace.timezone == "Europe/Paris"
    assert workspace.name == "Acme Clinic" and workspace.id in out
    assert listed.splitlines()[0].split() == ["SLUG", "ID", "TIMEZONE", "CREATED", "NAME"]
    assert {line.split()[0] for line in listed.splitlines()[1:]} == {"default", "acme-clinic"}
    entries = AuditStore(sessions, workspace.id).page(AuditFilter(), None, 10)
    assert [(e.actor, e.action, e.target_id) for e in entries] == [
        (Actor.CLI, "workspace create", workspace.id)
    ]


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["workspace", "create", "Acme Clinic", "--name", "x"], 2, "slug: must be"),
        (
            ["workspace", "create", "acme", "--name", "x", "--timezone", "Mars/X"],
            2,
            "timezone: unknown",
        ),
        (["workspace", "create", "default", "--name", "x"], 1, "exists already"),
        (["workspace", "settings", "nowhere"], 1, "workspace 'nowhere' not found"),
        (["key", "create", "--workspace", "nowhere", "--scope", "admin"], 1, "not found"),
        (["key", "revoke", "0123456789ab"], 1, "key 0123456789ab not found"),
        (
            ["workspace", "settings", "default", "--set", "brand_primary_color=blue"],
            2,
            "brand_primary_color",
        ),
        (["workspace", "settings", "default", "--set", "quiet_hours_start_h"], 2, "NAME=VALUE"),
        (["credentials", "rotate"], 2, "CREDENTIALS_KEY"),
    ],
)
def test_refusals_say_why_and_exit_non_zero(
    cli: Cli, argv: list[str], status: int, message: str
) -> None:
    code, _, err = cli(*argv)

    assert code == status
    assert message in err


def test_a_key_is_printed_once_and_stored_as_a_hash(
    cli: Cli, sessions: sessionmaker[Session]
) -> None:
    cli("workspace", "create", "acme", "--name", "Acme")

    status, out, err = cli(
        "key",
        "create",
        "--workspace",
        "acme",
        "--scope",
        "appointments:write",
        "--scope",
        "reports:read",
        "--name",
        "booking site",
    )

    assert status == 0 and "shown only now" in err
    parsed = parse_key(out.strip())
    assert parsed is not None
    key_id, secret = parsed
    stored = WorkspaceStore(sessions).key(key_id)
    assert stored is not None
    assert stored.key.scopes == {Scope.APPOINTMENTS_WRITE, Scope.REPORTS_READ}
    assert secret_matches(secret, stored.secret_sha256)
    listed = cli("key", "list")[1] + cli("key", "list", "--workspace", "acme")[1]
    assert key_id in listed and secret not in listed and "booking site" in listed


def test_revoking_a_key_is_recorded_in_its_workspace(
    cli: Cli, sessions: sessionmaker[Session]
) -> None:
    cli("workspace", "create", "acme", "--name", "Acme")
    parsed = parse_key(cli("key", "create", "--workspace", "acme", "--scope", "admin")[1].strip())
    assert parsed is not None

    status, out, _ = cli("key", "revoke", parsed[0])

    assert status == 0 and "revoked" in out
    stored = WorkspaceStore(sessions).key(parsed[0])
    assert stored is not None and stored.key.revoked
    acme = WorkspaceStore(sessions).by_slug("acme")
    assert acme is not None
    actions = [e.action for e in AuditStore(sessions, acme.id).page(AuditFilter(), None, 10)]
    assert actions == ["key revoke", "key create", "workspace create"]


def test_settings_are_shown_set_from_pairs_and_files_and_unset(cli: Cli, tmp_path: Path) -> None:
    cli("workspace", "create", "acme", "--name", "Acme")
    changes = tmp_path / "settings.json"
    changes.write_text(json.dumps({"brand_name": "Acme Dental", "sender_name": "Dr Acme"}))

    cli("workspace", "settings", "acme", "--json", str(changes), "--set", "quiet_hours_start_h=20")
    status, out, _ = cli(
        "workspace",
        "settings",
        "acme",
        "--set",
        "brand_accent_color=#ff8800",
        "--unset",
        "sender_name",
    )
    shown = json.loads(cli("workspace", "settings", "acme")[1])

    assert status == 0 and json.loads(out) == shown
    assert (shown["brand_name"], shown["sender_name"]) == ("Acme Dental", None)
    assert (shown["quiet_hours_start_h"], shown["brand_accent_color"]) == (20, "#ff8800")


def test_credentials_need_the_key_and_rotate_to_a_new_one(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    without = Cli(database_url)
    old = Cli(database_url, OLD_KEY)
    both = Cli(database_url, f"{NEW_KEY},{OLD_KEY}")
    old("workspace", "create", "acme", "--name", "Acme")
    twilio = [
        "--set",
        f"credentials.twilio.account_sid=AC{'b' * 32}",
        "--set",
        "credentials.twilio.auth_token=cli-secret-token",
    ]

    refused = without("workspace", "settings", "acme", *twilio)
    status, out, _ = old("workspace", "settings", "acme", *twilio)
    rotated = both("credentials", "rotate")

    assert refused[0] == 2 and "CREDENTIALS_KEY" in refused[2]
    assert status == 0 and json.loads(out)["credentials"]["twilio"] == {"configured": True}
    assert "cli-secret-token" not in out
    assert rotated[0] == 0 and "re-encrypted 1" in rotated[1]
    acme = WorkspaceStore(sessions).by_slug("acme")
    assert acme is not None
    token = WorkspaceSettingsStore(sessions, acme.id).credentials().twilio
    assert token is not None
    new_only = CredentialCipher.from_setting(NEW_KEY)
    assert new_only is not None
    assert new_only.decrypt(token, TwilioCredentials).auth_token == "cli-secret-token"


def test_the_console_script_reads_database_url_from_the_environment(database_url: str) -> None:
    rebook = Path(sys.executable).parent / "rebook"

    done = subprocess.run(
        [str(rebook), "workspace", "create", "from-shell", "--name", "From the shell"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    listed = subprocess.run(
        [sys.executable, "-m", "rebook.cli", "workspace", "list"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )

    assert done.returncode == 0, done.stderr
    assert "from-shell" in listed.stdout
