"""The CLI's outer contract: version, help, and one-line errors with documented exit codes."""

from __future__ import annotations

import subprocess
import sys

from sovmigrate import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args], capture_output=True, text=True, check=False
    )


def test_version_prints_package_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_unknown_command_is_one_line_usage_error() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-command" in result.stderr


def test_every_listed_command_loads_under_its_own_name() -> None:
    """The commands are imported on demand from a table: each entry must name a real command,
    and every command module's commands must be in the table."""
    import importlib
    import pkgutil

    import click

    import sovmigrate.cli as cli

    context = click.Context(cli.main)
    for name in cli.main.list_commands(context):
        command = cli.main.get_command(context, name)
        assert command is not None and command.name == name
    defined = set()
    for module in pkgutil.iter_modules(cli.__path__):
        loaded = importlib.import_module(f"sovmigrate.cli.{module.name}")
        commands = {
            attribute: value
            for attribute, value in vars(loaded).items()
            if isinstance(value, click.Command)
            and getattr(value.callback, "__module__", None) == loaded.__name__
        }
        # Top-level commands: the module's commands not attached to one of its groups.
        attached = {
            id(sub)
            for group in commands.values()
            if isinstance(group, click.Group)
            for sub in group.commands.values()
        }
        defined |= {f"{loaded.__name__}:{a}" for a, c in commands.items() if id(c) not in attached}
    assert defined == set(cli.COMMANDS.values())


def test_a_command_starts_without_importing_the_others() -> None:
    result = _run("plan", "--help")
    probe = subprocess.run(
        [sys.executable, "-c",
         "import sys; from click.testing import CliRunner; from sovmigrate.cli import main; "
         "CliRunner().invoke(main, ['plan', '--help']); "
         "print(sorted(m for m in sys.modules if m.startswith('sovmigrate.cli.')))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.returncode == 0
    assert probe.stdout.strip() == "['sovmigrate.cli.fleet']"
