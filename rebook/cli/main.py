"""`rebook` commands: argument parsing and output. Each command is one use-case call (the
services in rebook.services), made on the database Settings name.

    rebook workspace create acme-clinic --name "Acme Clinic" --timezone Europe/London
    rebook workspace list
    rebook workspace settings acme-clinic --set brand_name="Acme" --set quiet_hours_start_h=20
    rebook workspace settings acme-clinic --json settings.json
    rebook key create --workspace acme-clinic --scope appointments:write --name "Booking site"
    rebook key list [--workspace acme-clinic]
    rebook key revoke 3f9c2a1b7d4e
    rebook credentials rotate

Exit status: 0 done, 1 refused (unknown workspace or key, taken slug, ...), 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from rebook.cli.commands import Commands
from rebook.core.api_keys import Scope
from rebook.services.errors import InvalidField, ServiceError
from rebook.settings import Settings

EXIT_REFUSED = 1
EXIT_BAD_INPUT = 2


def main(
    argv: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one command; returns the exit status. settings/out/err: tests pass their own."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = _parser().parse_args(argv)
    try:
        commands = Commands(settings or Settings(), out, err)
    except ValidationError as exc:
        print(f"error: invalid settings: {exc}", file=err)
        return EXIT_BAD_INPUT
    try:
        run: Callable[[Commands, argparse.Namespace], Any] = args.run
        asyncio.run(run(commands, args))
    except InvalidField as exc:
        # Named as the option or setting the operator typed ("body" is the API's word).
        loc = exc.loc[1:] if exc.loc[:1] == ("body",) else exc.loc
        print(f"error: {'.'.join(map(str, loc))}: {exc.detail}", file=err)
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"])
            print(f"error: {field}: {error['msg']}", file=err)
        return EXIT_BAD_INPUT
    except ServiceError as exc:
        print(f"error: {exc.detail}", file=err)
        return EXIT_REFUSED
    except (OperationalError, ProgrammingError) as exc:
        print(
            f"error: database: {exc.orig} (is DATABASE_URL right, and migrated with "
            "`python -m rebook.db.migrate`?)",
            file=err,
        )
        return EXIT_REFUSED
    finally:
        commands.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rebook", description="Manage Rebook workspaces, their settings and API keys."
    )
    groups = parser.add_subparsers(required=True, metavar="{workspace,key,credentials}")

    workspace = groups.add_parser("workspace", help="create, list and configure workspaces")
    workspace_commands = workspace.add_subparsers(required=True, metavar="{create,list,settings}")

    create = workspace_commands.add_parser("create", help="a new workspace")
    create.add_argument("slug", help="its unchanging short name, e.g. acme-clinic")
    create.add_argument("--name", required=True, help='display name, e.g. "Acme Clinic"')
    create.add_argument("--timezone", default="UTC", help="IANA timezone (default: UTC)")
    create.set_defaults(run=Commands.create_workspace)

    listing = workspace_commands.add_parser("list", help="every workspace")
    listing.set_defaults(run=Commands.list_workspaces)

    settings = workspace_commands.add_parser(
        "settings", help="show a workspace's settings, or change them"
    )
    settings.add_argument("slug")
    settings.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="e.g. brand_primary_color=#0a7d5a or credentials.sendgrid.api_key=SG...",
    )
    settings.add_argument(
        "--unset",
        action="append",
        default=[],
        metavar="NAME",
        help="back to the deployment's value (credentials.twilio: forget the account)",
    )
    settings.add_argument(
        "--json", type=Path, metavar="FILE", help="the changes as a JSON object (as for the API)"
    )
    settings.set_defaults(run=Commands.workspace_settings)

    key = groups.add_parser("key", help="create, list and revoke API keys")
    key_commands = key.add_subparsers(required=True, metavar="{create,list,revoke}")

    key_create = key_commands.add_parser("create", help="a new key (shown once)")
    key_create.add_argument("--workspace", required=True, metavar="SLUG")
    key_create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        required=True,
        choices=[scope.value for scope in Scope],
        help="repeat for several",
    )
    key_create.add_argument("--name", default="", help="what the key is for")
    key_create.set_defaults(run=Commands.create_key)

    key_list = key_commands.add_parser("list", help="keys (never their secrets)")
    key_list.add_argument("--workspace", metavar="SLUG", help="only this workspace's")
    key_list.set_defaults(run=Commands.list_keys)

    revoke = key_commands.add_parser("revoke", help="refuse the key from now on")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=Commands.revoke_key)

    credentials = groups.add_parser("credentials", help="provider credentials at rest")
    credentials_commands = credentials.add_subparsers(required=True, metavar="{rotate}")
    rotate = credentials_commands.add_parser(
        "rotate", help="re-encrypt every workspace's credentials under CREDENTIALS_KEY's first key"
    )
    rotate.set_defaults(run=Commands.rotate_credentials)
    return parser
