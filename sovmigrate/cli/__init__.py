"""The ``sovmigrate`` command: parse, call, print. No logic lives here.

Each command group is a module of this package; ``run`` turns a SovmigrateError into one line
on stderr and its exit code, so no traceback ever reaches a user.
"""

from __future__ import annotations

import importlib
import sys

import click

from sovmigrate import __version__
from sovmigrate.errors import SovmigrateError

# Each command and the module that defines it, imported only when that command runs (or for
# --help): importing every group took 0.2 s of each command's start (the lab, the restic
# store, the report renderer...). tests/unit/test_cli.py checks this table.
COMMANDS = {
    "capture": "sovmigrate.cli.capture:capture_cmd",
    "diagnose": "sovmigrate.cli.fleet:diagnose",
    "fleet": "sovmigrate.cli.fleet:fleet",
    "history": "sovmigrate.cli.wave:history",
    "lab": "sovmigrate.cli.lab:lab",
    "machine": "sovmigrate.cli.machine:machine",
    "plan": "sovmigrate.cli.fleet:plan_cmd",
    "postcheck": "sovmigrate.cli.postcheck:postcheck_cmd",
    "report": "sovmigrate.cli.wave:report",
    "restore": "sovmigrate.cli.restore:restore_cmd",
    "status": "sovmigrate.cli.wave:status",
    "wave": "sovmigrate.cli.wave:wave",
    "windows": "sovmigrate.cli.windows:windows",
}


class _Commands(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sovmigrate")
def main() -> None:
    """Migrate Windows workstations to a sovereign Debian desktop, wave after wave."""


def run() -> None:
    """Console-script entry point."""
    try:
        main.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("sovmigrate: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("sovmigrate: interrupted", err=True)
        sys.exit(130)
    except SovmigrateError as exc:
        click.echo(f"sovmigrate: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(0)
