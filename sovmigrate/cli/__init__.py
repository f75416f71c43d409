"""The ``sovmigrate`` command: parse, call, print. No logic lives here.

Each command group is a module of this package; ``run`` turns a SovmigrateError into one line
on stderr and its exit code, so no traceback ever reaches a user.
"""

from __future__ import annotations

import sys

import click

from sovmigrate import __version__
from sovmigrate.errors import SovmigrateError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sovmigrate")
def main() -> None:
    """Migrate Windows workstations to a sovereign Debian desktop, wave after wave."""


def _register() -> None:
    # One line per command group; each group lives in its own module of this package.
    from sovmigrate.cli.lab import lab

    main.add_command(lab)
    from sovmigrate.cli.capture import capture_cmd
    from sovmigrate.cli.windows import windows

    main.add_command(windows)
    main.add_command(capture_cmd)
    from sovmigrate.cli.restore import restore_cmd

    main.add_command(restore_cmd)
    from sovmigrate.cli.wave import COMMANDS as wave_commands

    for command in wave_commands:
        main.add_command(command)
    from sovmigrate.cli.machine import machine

    main.add_command(machine)
    from sovmigrate.cli.fleet import COMMANDS as fleet_commands

    for command in fleet_commands:
        main.add_command(command)
    from sovmigrate.cli.postcheck import postcheck_cmd

    main.add_command(postcheck_cmd)
    pass


_register()


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
